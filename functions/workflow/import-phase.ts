/**
 * The import phases: accounts, categories (parents first), file maps, transaction files (with
 * their bytes), transactions (one staged chunk per call), then Complete or Fail. Each reads
 * its input from staging, so re-running a phase after a crash writes the same items and
 * reports the same counts as one clean run.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ENTITY_KINDS, EntityKind } from '../fzip/entities';
import { PlainRecord } from '../fzip/normalize';
import { resolveLimits } from '../fzip/limits';
import { openPackage, PackageReader } from '../fzip/package-reader';
import { fileEntryName } from '../fzip/zip/layout';
import { S3RangeSource } from '../shared/s3-range-source';
import { StagedRecord, StagingManifest, StagingReader } from '../entities/staging';
import { ImportJob, MergeStrategy } from '../jobs/job';
import { ImportStateError, StagingMissingError } from './errors';
import { ChunkInput, FailInput, WorkflowDeps, WorkflowInput } from './context';
import { importPlan } from './validate-phase';

export const PHASES: Record<EntityKind, { phase: string; progress: number }> = {
  accounts: { phase: 'importing_accounts', progress: 35 },
  categories: { phase: 'importing_categories', progress: 40 },
  fileMaps: { phase: 'importing_file_maps', progress: 45 },
  transactionFiles: { phase: 'importing_transaction_files', progress: 50 },
  transactions: { phase: 'importing_transactions', progress: 60 },
};

export interface EntityResult {
  created: number;
  updated: number;
  skipped: number;
  errors: number;
}

export function entityResults(manifest: StagingManifest, strategy: MergeStrategy): Record<EntityKind, EntityResult> {
  const plan = importPlan(manifest, strategy);
  const out = {} as Record<EntityKind, EntityResult>;
  for (const kind of ENTITY_KINDS) {
    out[kind] = { created: plan[kind].create, updated: plan[kind].overwrite, skipped: plan[kind].skip, errors: 0 };
  }
  return out;
}

/** The job for this execution, moved to processing if validation just passed. */
async function beginProcessing(input: WorkflowInput, deps: WorkflowDeps): Promise<ImportJob> {
  const job = await deps.jobs.get(input.importId);
  if (!job || job.userId !== input.userId) throw new ImportStateError(`import ${input.importId} does not match this execution`);
  if (job.status === 'validation_passed') {
    if (job.validateOnly) throw new ImportStateError(`import ${input.importId} is validate-only`);
    return deps.jobs.transition(input.importId, 'processing', { importResults: {}, currentPhase: 'starting_import' });
  }
  if (job.status !== 'processing') throw new ImportStateError(`import ${input.importId} is ${job.status}, not processing`);
  return job;
}

async function manifestOf(input: WorkflowInput, deps: WorkflowDeps): Promise<StagingManifest> {
  try {
    return await new StagingReader(deps.s3, input.bucket, input.importId).manifest();
  } catch (err) {
    throw new StagingMissingError(`the staged data of import ${input.importId} cannot be read: ${(err as Error).message}`);
  }
}

/** Which staged records this strategy writes, and how. */
async function writeStaged(kind: EntityKind, staged: StagedRecord[], job: ImportJob, deps: WorkflowDeps): Promise<void> {
  if (job.mergeStrategy === 'skip_existing') {
    // Conditional puts: an item the user has is never replaced, even one created since validation.
    await deps.entities.putAbsent(kind, job.userId, job.importId, staged.filter((s) => !s.exists).map((s) => s.record));
  } else {
    // overwrite replaces; fail_on_conflict found no existing ids at validation.
    await deps.entities.putAll(kind, job.userId, job.importId, staged.map((s) => s.record));
  }
}

/** Copies each statement's bytes to {userId}/{fileId}/{fileName} and points s3Key there. */
async function withFileBytes(staged: StagedRecord[], job: ImportJob, input: WorkflowInput, deps: WorkflowDeps): Promise<StagedRecord[]> {
  const toWrite = job.mergeStrategy === 'skip_existing' ? staged.filter((s) => !s.exists) : staged;
  if (!toWrite.length) return staged;
  let reader: PackageReader | undefined;
  try {
    const source = await S3RangeSource.open(deps.s3, input.bucket, input.packageKey);
    reader = await openPackage(source, job.packageFormat, resolveLimits(deps.limits), () => undefined);
    const byId = new Map<string, string[]>();
    for (const f of reader.statementFiles()) byId.set(f.fileId, [...(byId.get(f.fileId) ?? []), f.entryName]);
    const sizes = new Map(reader.statementFiles().map((f) => [f.entryName, f.size]));
    const rewritten = new Map<string, PlainRecord>();
    for (const s of toWrite) {
      const r = { ...s.record };
      const fileId = r.fileId as string;
      const fileName = r.fileName as string;
      const entries = byId.get(fileId) ?? [];
      const entry = entries.find((e) => e === fileEntryName(fileId, fileName)) ?? entries[0];
      delete r.s3Key; // the exporting environment's key means nothing here
      if (entry) {
        const key = `${job.userId}/${fileId}/${fileName}`;
        await deps.s3.send(
          new PutObjectCommand({
            Bucket: deps.filesBucket,
            Key: key,
            Body: await reader.openStatementFile(entry),
            ContentLength: sizes.get(entry),
          }),
        );
        r.s3Key = key;
      }
      rewritten.set(fileId, r);
    }
    return staged.map((s) => ({ ...s, record: rewritten.get(s.record.fileId as string) ?? s.record }));
  } finally {
    reader?.close();
  }
}

export async function importEntityPhase(kind: Exclude<EntityKind, 'transactions'>, input: WorkflowInput, deps: WorkflowDeps): Promise<void> {
  const started = Date.now();
  const log = deps.logger.child({ importId: input.importId, phase: PHASES[kind].phase });
  const job = await beginProcessing(input, deps);
  await deps.jobs.reportProgress(input.importId, PHASES[kind].progress, PHASES[kind].phase);
  const manifest = await manifestOf(input, deps);
  const reader = new StagingReader(deps.s3, input.bucket, input.importId);
  for (let n = 0; n < manifest.chunks[kind]; n++) {
    let staged = await reader.chunk(kind, n);
    if (kind === 'transactionFiles') staged = await withFileBytes(staged, job, input, deps);
    await writeStaged(kind, staged, job, deps);
  }
  const result = entityResults(manifest, job.mergeStrategy)[kind];
  await deps.jobs.setImportResult(input.importId, kind, { ...result });
  log.info('phase finished', { records: manifest.plan[kind].records, ...result, durationMs: Date.now() - started });
  log.metrics(PHASES[kind].phase, {
    Records: { value: manifest.plan[kind].records, unit: 'Count' },
    DurationMs: { value: Date.now() - started, unit: 'Milliseconds' },
  });
}

export async function importTransactionsChunk(input: ChunkInput, deps: WorkflowDeps): Promise<void> {
  const started = Date.now();
  const log = deps.logger.child({ importId: input.importId, phase: PHASES.transactions.phase, chunk: input.chunk });
  const job = await beginProcessing(input, deps);
  const manifest = await manifestOf(input, deps);
  if (!Number.isInteger(input.chunk) || input.chunk < 0 || input.chunk >= manifest.chunks.transactions) {
    throw new ImportStateError(`import ${input.importId} has no transactions chunk ${input.chunk}`);
  }
  const staged = await new StagingReader(deps.s3, input.bucket, input.importId).chunk('transactions', input.chunk);
  await writeStaged('transactions', staged, job, deps);
  const done = await deps.jobs.markChunkDone(input.importId, input.chunk);
  await deps.jobs.reportProgress(input.importId, 60 + (39 * done) / Math.max(1, manifest.chunks.transactions), PHASES.transactions.phase);
  log.info('chunk written', { records: staged.length, durationMs: Date.now() - started });
  log.metrics(PHASES.transactions.phase, {
    Records: { value: staged.length, unit: 'Count' },
    DurationMs: { value: Date.now() - started, unit: 'Milliseconds' },
  });
}

export async function completePhase(input: WorkflowInput, deps: WorkflowDeps): Promise<void> {
  const job = await beginProcessing(input, deps);
  const manifest = await manifestOf(input, deps);
  const importResults = entityResults(manifest, job.mergeStrategy);
  await deps.jobs.transition(input.importId, 'completed', { importResults, currentPhase: 'completed' });
  deps.logger.child({ importId: input.importId, phase: 'complete' }).info('import completed', { importResults });
}

/** Catch target: the job ends failed, its message naming the phase and the reason. */
export async function failPhase(input: FailInput, deps: WorkflowDeps): Promise<void> {
  let reason = input.error?.Cause ?? input.error?.Error ?? 'unknown error';
  try {
    const parsed = JSON.parse(reason) as { errorMessage?: string };
    if (parsed.errorMessage) reason = parsed.errorMessage; // AWS wraps Lambda errors as JSON
  } catch {
    // a plain message
  }
  const errorMessage = `Import failed in phase "${input.phase}": ${reason}`.slice(0, 2000);
  const job = await deps.jobs.get(input.importId);
  deps.logger.child({ importId: input.importId, phase: input.phase }).error('import failed', { errorName: input.error?.Error });
  if (!job || job.status === 'completed' || job.status === 'failed' || job.status === 'validation_failed') return;
  await deps.jobs.transition(input.importId, 'failed', { errorMessage, currentPhase: 'failed' });
}
