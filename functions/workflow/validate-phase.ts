/**
 * Validate package: streams the package from S3 (ranged GETs) through the format validator,
 * stages every valid record to S3 with how it compares with what the user has (new, unchanged,
 * conflict), applies a selective import's filter and the merge strategy's conflict rule, and
 * ends the job's validation: validation_passed, validation_failed, or awaiting_confirmation
 * for a preview (requireConfirmation).
 */
import { IMPORT_TUNING } from '../shared/import-tuning';
import { validatePackage, ValidationReport } from '../fzip/validator';
import { ENTITIES, ENTITY_KINDS, EntityKind, FILE_KIND } from '../fzip/entities';
import { ErrorCode, FzipFatalError, Issue } from '../fzip/issues';
import { S3RangeSource } from '../shared/s3-range-source';
import { StagingReader, StagingWriter, StagingManifest, writesNothing } from '../entities/staging';
import { ImportJob, MergeStrategy } from '../jobs/job';
import { ImportStateError } from './errors';
import { PlainRecord } from '../fzip/normalize';
import { UuidSet } from '../fzip/json/uuid-set';
import { replaceScope } from '../jobs/import-filter';
import { userPartitions } from '../entities/entity-tables';
import { StatementSource, statementKey } from './statement-files';
import { WritesStoppedError } from '../jobs/errors';
import { SelectionCollector } from './selection';
import { OverviewCollector, PackageOverview } from '../fzip/overview';
import { KIND_WORDS } from '../jobs/vocabulary';
import { ExportSelection, manifestSelection, selectionMatcher } from '../jobs/export-selection';
import { ValidateOutput, WorkflowDeps, WorkflowInput } from './context';

export interface KindPlan {
  /** Records of the kind the import would write or compare. */
  records: number;
  /** New ids. */
  create: number;
  /** The user has the id with exactly this content: never rewritten. */
  unchanged: number;
  /** The user has the id with other content. */
  conflicts: number;
  /** Of the conflicts, what the merge strategy does with them. */
  overwrite: number;
  skip: number;
  /** replace: the user's records the package does not hold, deleted. */
  delete: number;
}

/** Per entity kind: what the import would do (create, unchanged, conflicts, and the strategy's overwrite / skip). */
export function importPlan(manifest: StagingManifest, strategy: MergeStrategy): Record<EntityKind, KindPlan> {
  const out = {} as Record<EntityKind, KindPlan>;
  for (const kind of ENTITY_KINDS) {
    const p = manifest.plan[kind];
    const conflicts = p.conflicts ?? p.existing - (p.unchanged ?? 0);
    out[kind] = {
      records: p.records,
      create: p.records - p.existing,
      unchanged: p.unchanged ?? 0,
      conflicts,
      overwrite: strategy === 'overwrite' || strategy === 'replace' ? conflicts : 0,
      skip: strategy === 'skip_existing' ? conflicts : 0,
      delete: p.delete ?? 0,
    };
  }
  return out;
}

function conflictIssues(manifest: StagingManifest): Issue<ErrorCode>[] {
  return manifest.conflicts.map((c) => ({
    code: 'ID_CONFLICT' as const,
    message: `you already have ${c.kind} ${c.id} with other content; with mergeStrategy fail_on_conflict nothing is imported (use overwrite or skip_existing, or preview to decide record by record)`,
    id: c.id,
    file: c.kind,
  }));
}

function results(report: ValidationReport, manifest: StagingManifest | undefined, job: ImportJob, overview: PackageOverview): Record<string, unknown> {
  return {
    valid: report.valid,
    packageFormat: report.packageFormat,
    manifest: report.manifest ?? null,
    counts: report.counts,
    errorCount: report.errorCount,
    errors: report.errors,
    warningCount: report.warningCount,
    warnings: report.warnings,
    // what the package holds (every valid record, whatever the filter): for choosing what to import
    overview,
    ...(manifest
      ? {
          plan: importPlan(manifest, job.mergeStrategy),
          existingCount: ENTITY_KINDS.reduce((a, k) => a + manifest.plan[k].existing, 0),
          conflictCount: manifest.conflictCount,
          ...(manifest.selective ? { filter: job.filter ?? null, filteredOutTransactions: manifest.filteredOut ?? 0 } : {}),
        }
      : {}),
  };
}

/** Conflicting ids named in a fail_on_conflict failure's errors (all are counted; the preview lists every one). */
export const MAX_LISTED_CONFLICTS = 100;

/** Largest validationResults we store (the job item holds at most 400 KB, with the rest of the job). */
export const MAX_RESULTS_BYTES = 200 * 1024;

/** Validation results that fit in the job item: issue lists are shortened (counts stay exact). */
export function boundedResults(results: Record<string, unknown>, maxBytes = MAX_RESULTS_BYTES): Record<string, unknown> {
  const out = { ...results } as Record<string, unknown> & { errors?: unknown[]; warnings?: unknown[] };
  const size = () => Buffer.byteLength(JSON.stringify(out));
  while (size() > maxBytes && ((out.warnings?.length ?? 0) > 0 || (out.errors?.length ?? 0) > 1)) {
    if ((out.warnings?.length ?? 0) > 0) out.warnings = (out.warnings as unknown[]).slice(0, Math.floor((out.warnings as unknown[]).length / 2));
    else out.errors = (out.errors as unknown[]).slice(0, Math.max(1, Math.floor((out.errors as unknown[]).length / 2)));
    out.listsShortened = true;
  }
  return out;
}

export function mapConcurrency(deps: WorkflowDeps): number {
  return deps.mapConcurrency ?? IMPORT_TUNING.mapConcurrency.default;
}

const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The transactions Map's items: the staged chunks, then (replace) the chunks of ids to delete. */
export function chunkList(manifest: StagingManifest): number[] {
  return Array.from({ length: manifest.chunks.transactions + (manifest.deletions?.transactions ?? 0) }, (_, i) => i);
}

/**
 * replace: stages the user's ids (of the kinds and transactions the scope covers) that the
 * package does not hold, a chunk at a time, reading the user's items page by page.
 */
async function stageDeletions(
  job: ImportJob,
  staged: Map<EntityKind, { has(id: string): boolean }>,
  staging: StagingWriter,
  deps: WorkflowDeps,
  declared: ExportSelection | null | undefined,
): Promise<void> {
  // a selective package whose selection cannot be read: nothing is known to be inside it
  if (declared === null) return;
  const scope = replaceScope(job.filter);
  // a selective package replaces only inside the selection its manifest declares: its
  // transactions there; reference records outside it may serve other transactions, never deleted
  const inside = selectionMatcher(declared);
  const kinds = declared ? scope.kinds.filter((k) => k === 'transactions') : scope.kinds;
  const size = deps.chunkSize ?? IMPORT_TUNING.chunkRecords.default;
  for (const kind of kinds) {
    const ids = staged.get(kind);
    let batch: Array<{ id: string; item: Record<string, unknown> }> = [];
    for (const partition of userPartitions(kind, job.userId)) {
      for await (const page of deps.entities.itemsOf(kind, partition)) {
        for (const item of page) {
          const id = item.sk as string;
          // the user's names too (a deleted category's parent may be the user's only)
          staging.names.note(kind, item, true);
          // the package's transaction ids are UUIDs (the schema): another id cannot be among them
          if ((kind !== 'transactions' || UUID_TEXT.test(id)) && ids?.has(id)) continue;
          if (kind === 'transactions' && !(scope.transactions(item as PlainRecord) && inside(item as PlainRecord))) continue;
          batch.push({ id, item });
          if (batch.length >= size) {
            await staging.stageDeletions(kind, batch);
            batch = [];
          }
        }
      }
    }
    await staging.stageDeletions(kind, batch);
  }
}

async function stopIfCanceled(importId: string, deps: WorkflowDeps): Promise<void> {
  const job = await deps.jobs.get(importId);
  if (job?.status === 'canceling') throw new WritesStoppedError(importId, job.status, true);
}

/** Validate package: the verdict, the staged chunks, and how many chunks the Map writes at once. */
export async function validatePhase(input: WorkflowInput, deps: WorkflowDeps): Promise<ValidateOutput> {
  return { ...(await validate(input, deps)), mapConcurrency: mapConcurrency(deps) };
}

async function validate(input: WorkflowInput, deps: WorkflowDeps): Promise<Omit<ValidateOutput, 'mapConcurrency'>> {
  const log = deps.logger.child({ importId: input.importId, phase: 'validate' });
  const job = await deps.jobs.get(input.importId);
  if (!job || job.userId !== input.userId || job.packageS3Key !== input.packageKey) {
    throw new ImportStateError(`import ${input.importId} does not match this execution`);
  }
  if (job.status === 'validation_passed' || job.status === 'processing' || job.status === 'awaiting_confirmation') {
    // A retry after the step succeeded but its answer was lost: answer the same again.
    const manifest = await new StagingReader(deps.s3, input.bucket, input.importId).manifest();
    return { valid: true, validateOnly: job.validateOnly, awaitConfirmation: job.status === 'awaiting_confirmation', writesNothing: nothingToWrite(job, manifest), transactionChunks: chunkList(manifest) };
  }
  if (job.status === 'validation_failed') return { valid: false, validateOnly: job.validateOnly, awaitConfirmation: false, writesNothing: false, transactionChunks: [] };
  if (job.status === 'canceling') throw new WritesStoppedError(input.importId, job.status, true);
  if (job.status !== 'validating') throw new ImportStateError(`import ${input.importId} is ${job.status}, not validating`);

  const started = Date.now();
  await deps.jobs.reportProgress(input.importId, 5, 'validating_package');
  // Pinned: the later phases read exactly the bytes validated here, or fail.
  const source = await S3RangeSource.open(deps.s3, input.bucket, input.packageKey, job.packageETag);
  if (!job.packageETag && source.etag) await deps.jobs.updateIn(input.importId, 'validating', { packageETag: source.etag });
  // A statement file whose item is identical may still carry other bytes than the user's object.
  const files = new StatementSource({ ...job, packageETag: job.packageETag ?? source.etag }, input, deps);
  const bytesDifferences = async (kind: EntityKind, record: PlainRecord) => {
    if (kind !== FILE_KIND) return [];
    try {
      const d = await files.bytesDifference(record, deps.s3, deps.filesBucket, statementKey(input.userId, record));
      return d ? [d] : [];
    } catch (err) {
      // a corrupt entry: the validator reports it itself, and the package fails; anything else
      // (S3 throttled on either side) fails the step, which is retried: the plan must not take
      // bytes it could not read for equal bytes (a plan that writes nothing is final)
      if (!(err instanceof FzipFatalError)) throw err;
      log.warn('statement bytes not compared', { errorName: (err as Error).name });
      return [];
    }
  };
  const staging = new StagingWriter(
    deps.s3,
    input.bucket,
    input.importId,
    // consistent: a plan that writes nothing ends the import, so it must see the user's data as it
    // is (an undo that just ended, the import before this one in the queue), not as it was
    (kind, ids) => deps.entities.currentItems(kind, input.userId, ids, true),
    deps.chunkSize,
    MAX_LISTED_CONFLICTS,
    deps.chunkBytes,
    bytesDifferences,
  );
  let lastKind: EntityKind | undefined;
  const selection = new SelectionCollector(job.filter);
  const overview = new OverviewCollector();
  // replace: which ids the package holds (what the import writes), so the rest can be deleted
  const staged = new Map<EntityKind, { add(id: string): unknown; has(id: string): boolean }>();
  const accept = (kind: EntityKind, record: PlainRecord): boolean => {
    if (!selection.accept(kind, record)) return false;
    if (job.mergeStrategy === 'replace') {
      let ids = staged.get(kind);
      if (!ids) staged.set(kind, (ids = kind === 'transactions' ? new UuidSet() : new Set<string>()));
      ids.add(record[ENTITIES[kind].idField] as string);
    }
    return true;
  };
  const report = await validatePackage(source, {
    packageFormat: job.packageFormat,
    limits: deps.limits,
    onRecord: (kind, record) => {
      overview.add(kind, record);
      if (kind !== lastKind) {
        lastKind = kind;
        const progress = deps.jobs.reportProgress(input.importId, kind === 'transactions' ? 10 : 7, KIND_WORDS[kind].validatingPhase);
        // A cancel stops validation at the next entity rather than at its end.
        return progress.then(() => stopIfCanceled(input.importId, deps)).then(() => (accept(kind, record) ? staging.add(kind, record) : undefined));
      }
      return accept(kind, record) ? staging.add(kind, record) : undefined;
    },
  });
  for (const [i, a] of selection.unknownAccounts().entries()) {
    report.valid = false;
    report.errorCount++;
    if (report.errors.length < 100) {
      report.errors.push({ code: 'FILTER_UNKNOWN_ACCOUNT', message: `the filter names account ${a}, which the package does not hold`, field: `/filter/accountIds/${job.filter?.accountIds?.indexOf(a) ?? i}`, id: a, file: 'filter' });
    }
  }
  let manifest: StagingManifest | undefined;
  try {
    if (report.valid && job.mergeStrategy === 'replace') await stageDeletions(job, staged, staging, deps, manifestSelection(report.manifest));
    manifest = report.valid ? await staging.finish(selection.selection(), selection.filteredOut) : undefined;
    // an invalid package: the chunks still being written end before the job says so
    if (!report.valid) await staging.drain().catch(() => undefined);
  } finally {
    files.close();
  }
  // A preview shows conflicts and lets the user decide: they do not fail it (confirm applies the strategy).
  if (manifest && job.mergeStrategy === 'fail_on_conflict' && !job.requireConfirmation && manifest.conflictCount > 0) {
    const issues = conflictIssues(manifest);
    report.valid = false;
    report.errors = [...report.errors, ...issues].slice(0, 100);
    report.errorCount += manifest.conflictCount;
  }
  const validationResults = boundedResults(results(report, manifest, job, overview.result()));
  const now = await deps.jobs.get(input.importId);
  if (now?.status !== 'validating') throw new WritesStoppedError(input.importId, now?.status, now?.cancelRequested === true);
  log.info('validation finished', {
    valid: report.valid,
    errorCount: report.errorCount,
    warningCount: report.warningCount,
    counts: report.counts,
    durationMs: Date.now() - started,
  });
  log.metrics('validate', {
    Records: { value: Object.values(report.counts).reduce((a, b) => a + b, 0), unit: 'Count' },
    Errors: { value: report.errorCount, unit: 'Count' },
    DurationMs: { value: Date.now() - started, unit: 'Milliseconds' },
  });
  if (!report.valid) {
    const first = report.errors[0];
    await deps.jobs.transition(input.importId, 'validation_failed', {
      validationResults,
      currentPhase: 'validation_failed',
      errorMessage: `the package is invalid: ${report.errorCount} error(s)${first ? `, first: [${first.code}] ${first.file ? first.file + ': ' : ''}${first.message}` : ''}`,
    });
    return { valid: false, validateOnly: job.validateOnly, awaitConfirmation: false, writesNothing: false, transactionChunks: [] };
  }
  if (job.requireConfirmation && !job.validateOnly) {
    // The preview: nothing written; the execution ends here and confirm starts the import phases.
    await deps.jobs.transition(input.importId, 'awaiting_confirmation', { validationResults, currentPhase: 'awaiting_confirmation', progress: 30 });
    return { valid: true, validateOnly: false, awaitConfirmation: true, writesNothing: false, transactionChunks: chunkList(manifest as StagingManifest) };
  }
  await deps.jobs.transition(
    input.importId,
    'validation_passed',
    { validationResults, currentPhase: 'validation_passed', progress: job.validateOnly ? 100 : 30 },
    { final: job.validateOnly },
  );
  return {
    valid: true,
    validateOnly: job.validateOnly,
    awaitConfirmation: false,
    writesNothing: nothingToWrite(job, manifest as StagingManifest),
    transactionChunks: chunkList(manifest as StagingManifest),
  };
}

/** An import (not a check, not a preview) whose plan writes nothing skips its write phases. */
function nothingToWrite(job: ImportJob, manifest: StagingManifest): boolean {
  return !job.validateOnly && !job.requireConfirmation && writesNothing(manifest.plan, job.mergeStrategy);
}
