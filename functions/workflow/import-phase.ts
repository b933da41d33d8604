/**
 * The import phases: accounts, categories, file maps, transaction files (with their bytes),
 * transactions (one staged chunk per call), then Complete. Every write goes through the
 * journal: a staged chunk is written in parts of PART_SIZE records, and for each part the
 * user's current items (and statement files) are read and stored as before-images *before*
 * anything of that part is written. A step running again after a crash reuses the parts
 * already journaled, so rollback always restores what the user had.
 *
 * A step writes only while it holds a write lease on a processing job, and checks the job
 * between parts: a cancel or a failure elsewhere stops it within one part.
 */
import { randomUUID } from 'node:crypto';
import { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ENTITIES, ENTITY_KINDS, EntityKind, FILE_KIND } from '../fzip/entities';
import { monthOf } from '../analytics/aggregate';
import { PlainRecord } from '../fzip/normalize';
import { headFile, IMPORT_ID_METADATA, SHA256_METADATA, StatementSource, statementKey } from './statement-files';
import { resultsOfPlan, selectedIds, StagedRecord, StagingManifest, StagingReader, writesNothing } from '../entities/staging';
import { Journal, JournalObject, JournalPart, objectCopyKey } from '../entities/journal';
import { entityKey } from '../entities/entity-tables';
import { emptyResult, ImportJob } from '../jobs/job';
import { recordDifferences } from '../entities/compare';
import { DecisionAction, Decisions, readDecisions } from '../entities/decisions';
import { ImportConflictError, ImportStateError, StagingMissingError } from './errors';
import { ChunkInput, WorkflowDeps, WorkflowInput } from './context';
import { chunkList, mapConcurrency } from './validate-phase';
import { copySource, UndoLedger } from '../entities/ledger';
import { mapLimit } from '../entities/batch-writer';
import { IMPORT_PROGRESS, KIND_WORDS } from '../jobs/vocabulary';

/** Records journaled and written together: bounds the before-images held at once. */
export const PART_SIZE = 250;


/** Per kind: the phase it reports and the progress when it starts (both from the vocabulary). */
export const PHASES = Object.fromEntries(
  ENTITY_KINDS.map((k) => [k, { phase: KIND_WORDS[k].importingPhase, progress: IMPORT_PROGRESS[k] }]),
) as Record<EntityKind, { phase: string; progress: number }>;


/** The job for this execution, moved to processing if validation just passed. */
async function beginProcessing(input: WorkflowInput, deps: WorkflowDeps): Promise<ImportJob> {
  const job = await deps.jobs.get(input.importId);
  if (!job || job.userId !== input.userId) throw new ImportStateError(`import ${input.importId} does not match this execution`);
  if (job.status === 'validation_passed') {
    if (job.validateOnly) throw new ImportStateError(`import ${input.importId} is validate-only`);
    const importResults = Object.fromEntries(ENTITY_KINDS.map((k) => [k, emptyResult()]));
    return deps.jobs.transition(input.importId, 'processing', { importResults, currentPhase: 'starting_import' });
  }
  return job;
}

async function manifestOf(input: WorkflowInput, deps: WorkflowDeps): Promise<StagingManifest> {
  try {
    return await new StagingReader(deps.s3, input.bucket, input.importId).manifest();
  } catch (err) {
    deps.logger.child({ importId: input.importId }).error('staged data unreadable', { errorName: (err as Error).name, cause: (err as Error).message });
    throw new StagingMissingError(`the staged data of import ${input.importId} cannot be read`);
  }
}

/** Runs `work` holding a write lease on the job; the lease is released however `work` ends. */
async function withWriteLease<T>(job: ImportJob, deps: WorkflowDeps, work: () => Promise<T>): Promise<T> {
  const token = randomUUID();
  // The lease outlives this invocation by a margin: a Lambda is stopped at its timeout.
  const leaseMs = (deps.remainingMs?.() ?? 900_000) + 10_000;
  await deps.jobs.leases.acquire(job.importId, token, Date.now() + leaseMs);
  try {
    return await work();
  } finally {
    await deps.jobs.leases.release(job.importId, token);
  }
}

/**
 * Decides what a part writes (by the merge strategy, against the user's items as they are now)
 * and journals the before-images of everything it will change.
 */
/** What writing one staged chunk needs, part after part. */
interface ChunkWrite {
  kind: EntityKind;
  chunk: number;
  job: ImportJob;
  deps: WorkflowDeps;
  journal: Journal;
  decisions: Decisions;
  files?: StatementSource;
}

async function journalPart(w: ChunkWrite, part: number, records: StagedRecord[]): Promise<JournalPart> {
  const { kind, chunk, job, deps, journal, decisions, files } = w;
  const idField = ENTITIES[kind].idField;
  const current = await deps.entities.currentItems(kind, job.userId, records.map((s) => s.record[idField] as string));
  const result = emptyResult();
  const overwrote: Record<string, number> = {};
  const items: JournalPart['items'] = [];
  const objects: JournalObject[] = [];
  for (const { record } of records) {
    const id = record[idField] as string;
    const before = current.get(id) ?? null;
    if (before && before.importId === job.importId) {
      // Only a write of this part by another invocation gives this: its journal part exists (it
      // is written before any item) and holds the real before-image.
      throw new JournalRaceError(kind, chunk, part);
    }
    if (before) {
      // Identical items are never rewritten, whatever the strategy; a statement file is
      // identical only when its bytes are too.
      const same =
        recordDifferences(kind, record, before).length === 0 &&
        !(kind === FILE_KIND && files && (await files.bytesDifference(record, deps.s3, deps.filesBucket, statementKey(job.userId, record))));
      if (same) {
        result.unchanged++;
        continue;
      }
      // A decision of the confirm call overrides the strategy for its id.
      const byStrategy: Partial<Record<ImportJob['mergeStrategy'], DecisionAction>> = { overwrite: 'overwrite', replace: 'overwrite', skip_existing: 'skip' };
      const action: DecisionAction | undefined = decisions.get(`${kind}#${id}`) ?? byStrategy[job.mergeStrategy];
      if (action === undefined) throw new ImportConflictError(kind, id);
      if (action === 'skip') {
        result.skipped++;
        continue;
      }
    }
    if (before) {
      result.updated++;
      if (typeof before.importId === 'string' && before.importId !== job.importId) overwrote[before.importId] = (overwrote[before.importId] ?? 0) + 1;
    } else {
      result.created++;
    }
    items.push({ ...entityKey(kind, job.userId, id), before });
    if (kind === FILE_KIND && files && (await files.entryFor(record))) {
      const key = statementKey(job.userId, record);
      const there = await headFile(deps.s3, deps.filesBucket, key);
      const entry: JournalObject = { key, existed: there !== undefined };
      if (there && there.importId !== job.importId) {
        if (there.importId) overwrote[there.importId] = (overwrote[there.importId] ?? 0) + 1;
        entry.etag = there.etag;
        entry.beforeImportId = there.importId;
        entry.copyKey = objectCopyKey(job.importId, id);
        await deps.s3.send(
          new CopyObjectCommand({
            Bucket: journal.bucket,
            Key: entry.copyKey,
            CopySource: `${deps.filesBucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`,
            MetadataDirective: 'COPY',
          }),
        );
      }
      objects.push(entry);
    }
  }
  const written = new Set(items.map((i) => i.sk));
  const touched: NonNullable<JournalPart['touched']> = { accounts: [] };
  const accounts = new Set<string>();
  const months = new Set<string>();
  for (const { record } of records) {
    if (!written.has(record[idField] as string)) continue;
    if (kind === 'accounts') accounts.add(record.accountId as string);
    if (kind === 'transactions') {
      if (typeof record.accountId === 'string') accounts.add(record.accountId);
      const date = record.date;
      if (typeof date === 'number') {
        touched.dateFrom = Math.min(touched.dateFrom ?? date, date);
        touched.dateTo = Math.max(touched.dateTo ?? date, date);
        months.add(monthOf(date));
      }
    }
  }
  // an overwritten transaction leaves the month it was in too
  if (kind === 'transactions') for (const i of items) addMonth(months, i.before?.date);
  touched.accounts = [...accounts];
  if (months.size) touched.months = [...months];
  const journaled: JournalPart = { kind, chunk, part, items, objects, result, overwrote, touched };
  // A part that writes nothing (every record unchanged or skipped) needs no before-images.
  if (!items.length && !objects.length) return journaled;
  // Written once: if another invocation of this step (a retry that started beside the first)
  // journaled the part first, its part is the true before-image and is used instead.
  return (await journal.writeOnce(journaled)) ?? journaled;
}

/** Writes what a journaled part says: statement bytes first, then the items. */
/** Writes a journaled part; returns how many new records were refused because the id exists by now. */
async function applyPart(kind: EntityKind, part: JournalPart, records: StagedRecord[], job: ImportJob, deps: WorkflowDeps, files?: StatementSource): Promise<number> {
  const written = new Set(part.items.map((i) => i.sk));
  let toWrite = records.map((s) => s.record).filter((r) => written.has(r[ENTITIES[kind].idField] as string));
  if (kind === FILE_KIND) {
    const rewritten: PlainRecord[] = [];
    for (const r of toWrite) {
      const rec = { ...r };
      delete rec.s3Key; // the exporting environment's key means nothing here
      const entry = files ? await files.entryFor(r) : undefined;
      if (entry && files) {
        const key = statementKey(job.userId, r);
        const { sha256 } = await files.digest(entry.entryName);
        await deps.s3.send(
          new PutObjectCommand({
            Bucket: deps.filesBucket,
            Key: key,
            Body: await files.bytes(entry.entryName),
            ContentLength: entry.size,
            Metadata: { [IMPORT_ID_METADATA]: job.importId, [SHA256_METADATA]: sha256 },
          }),
        );
        rec.s3Key = key;
      }
      rewritten.push(rec);
    }
    toWrite = rewritten;
  }
  if (job.mergeStrategy === 'skip_existing') {
    // New ids with conditional puts: an item the user has is never replaced, even one created
    // since the journal read. Replacements are only those a confirm decision asked for.
    const replacing = new Set(part.items.filter((i) => i.before).map((i) => i.sk));
    const idField = ENTITIES[kind].idField;
    const fresh = toWrite.filter((r) => !replacing.has(r[idField] as string));
    const created = await deps.entities.putAbsent(kind, job.userId, job.importId, fresh);
    await deps.entities.putAll(kind, job.userId, job.importId, toWrite.filter((r) => replacing.has(r[idField] as string)));
    return fresh.length - created;
  }
  await deps.entities.putAll(kind, job.userId, job.importId, toWrite);
  return 0;
}

class JournalRaceError extends Error {
  constructor(kind: EntityKind, chunk: number, part: number) {
    super(`part ${part} of ${kind} chunk ${chunk} was journaled by another run of this step`);
    this.name = 'JournalRaceError';
  }
}

/** The journal part for records of a chunk: the one already written, or a new one. */
async function partFor(w: ChunkWrite, p: number, records: StagedRecord[], done: Map<number, string>): Promise<JournalPart> {
  const { kind, chunk, journal } = w;
  const key = done.get(p);
  if (key) return journal.read(key);
  try {
    return await journalPart(w, p, records);
  } catch (err) {
    if (!(err instanceof JournalRaceError)) throw err;
    const again = (await journal.partsOf(kind, chunk)).get(p);
    if (!again) throw new ImportStateError(`part ${p} of ${kind} chunk ${chunk} holds items of this import but no journal`);
    return journal.read(again);
  }
}

/** What the step writes besides the strategy: a selective import's selection and the confirm call's decisions. */
interface WritePlan {
  selected: (kind: EntityKind, id: string) => boolean;
  decisions: Decisions;
}

async function writePlan(input: WorkflowInput, job: ImportJob, deps: WorkflowDeps): Promise<WritePlan> {
  const reader = new StagingReader(deps.s3, input.bucket, input.importId);
  const [selection, decisions] = await Promise.all([reader.selection(), readDecisions(deps.s3, input.bucket, job.decisionsKey)]);
  return { selected: selection ? selectedIds(selection) : () => true, decisions };
}

/** Journals and writes one staged chunk, part by part; returns what it did. */
async function writeChunk(
  kind: EntityKind,
  chunk: number,
  job: ImportJob,
  input: WorkflowInput,
  deps: WorkflowDeps,
  plan: WritePlan,
  files?: StatementSource,
  /** Called after every part with how many records it handled (live progress). */
  onPart?: (records: number) => Promise<void>,
) {
  const idField = ENTITIES[kind].idField;
  const staged = (await new StagingReader(deps.s3, input.bucket, input.importId).chunk(kind, chunk)).filter((s) => plan.selected(kind, s.record[idField] as string));
  const journal = new Journal(deps.s3, input.bucket, input.importId);
  const done = await journal.partsOf(kind, chunk);
  const result = emptyResult();
  const overwrote: Record<string, number> = {};
  const accounts = new Set<string>();
  const months = new Set<string>();
  let dateFrom: number | undefined;
  let dateTo: number | undefined;
  let journaled = 0;
  for (let p = 0; p * PART_SIZE < staged.length; p++) {
    await deps.jobs.leases.assertProcessing(job.importId); // stop within one part on cancel or failure elsewhere
    const records = staged.slice(p * PART_SIZE, (p + 1) * PART_SIZE);
    const part = await partFor({ kind, chunk, job, deps, journal, decisions: plan.decisions, files }, p, records, done);
    if (part.items.length || part.objects.length) journaled++;
    const refused = await applyPart(kind, part, records, job, deps, files);
    await onPart?.(records.length);
    for (const f of ['created', 'updated', 'skipped', 'unchanged', 'errors'] as const) result[f] += part.result[f] ?? 0;
    // Counted from what was written: an id that appeared since the journal read was kept (skip_existing).
    result.created -= refused;
    result.skipped += refused;
    for (const [other, n] of Object.entries(part.overwrote)) overwrote[other] = (overwrote[other] ?? 0) + n;
    for (const a of part.touched?.accounts ?? []) accounts.add(a);
    if (part.touched?.dateFrom !== undefined) dateFrom = Math.min(dateFrom ?? part.touched.dateFrom, part.touched.dateFrom);
    if (part.touched?.dateTo !== undefined) dateTo = Math.max(dateTo ?? part.touched.dateTo, part.touched.dateTo);
    for (const m of part.touched?.months ?? []) months.add(m);
  }
  await deps.jobs.work.recordTouched(job.importId, [...accounts], dateFrom, dateTo, [...months]);
  return { result, overwrote, records: staged.length, parts: journaled };
}

function addMonth(months: Set<string>, date: unknown): void {
  const ms = typeof date === 'number' ? date : Number(date);
  if (Number.isFinite(ms) && !Number.isNaN(new Date(ms).getTime())) months.add(monthOf(ms));
}

/** Journal chunk numbers of deletion chunks (replace): apart from the staged chunks' numbers. */
const DELETION_CHUNK_BASE = 500_000;

/** Journals what one part of a deletion chunk removes: every item still there, and its statement file. */
async function journalDeletions(w: ChunkWrite, part: number, ids: string[]): Promise<JournalPart> {
  const { kind, chunk, job, deps, journal, decisions } = w;
  const current = await deps.entities.currentItems(kind, job.userId, ids);
  const result = emptyResult();
  const overwrote: Record<string, number> = {};
  const items: JournalPart['items'] = [];
  const objects: JournalObject[] = [];
  for (const id of ids) {
    const before = current.get(id);
    // already gone (a run before a crash deleted it), or written by this import: nothing to delete
    if (!before || before.importId === job.importId) continue;
    if (decisions.get(`${kind}#${id}`) === 'skip') {
      result.skipped++; // the confirm call asked to keep this one
      continue;
    }
    items.push({ ...entityKey(kind, job.userId, id), before, deleted: true });
    result.deleted = (result.deleted ?? 0) + 1;
    if (typeof before.importId === 'string') overwrote[before.importId] = (overwrote[before.importId] ?? 0) + 1;
    if (kind === FILE_KIND && typeof before.fileId === 'string' && typeof before.fileName === 'string') {
      const key = statementKey(job.userId, before as PlainRecord);
      const there = await headFile(deps.s3, deps.filesBucket, key);
      if (!there) continue;
      const entry: JournalObject = { key, existed: true, etag: there.etag, beforeImportId: there.importId, copyKey: objectCopyKey(job.importId, id), deleted: true };
      await deps.s3.send(new CopyObjectCommand({ Bucket: journal.bucket, Key: entry.copyKey, CopySource: copySource(deps.filesBucket, key), MetadataDirective: 'COPY' }));
      objects.push(entry);
    }
  }
  const months = new Set<string>();
  if (kind === 'transactions') for (const i of items) addMonth(months, i.before?.date);
  const journaled: JournalPart = { kind, chunk, part, items, objects, result, overwrote, touched: { accounts: [], ...(months.size ? { months: [...months] } : {}) } };
  if (!items.length) return journaled;
  // marked before anything is deleted: an import that creates one of these keys later journals
  // it as absent, and its undo must know the absence was this import's doing (entities/ledger.ts)
  const ledger = new UndoLedger(deps.s3, journal.bucket, job.userId);
  await mapLimit(items, 16, (i) => ledger.markDeleted(job.importId, kind, i.sk));
  await mapLimit(objects, 16, (o) => ledger.markDeleted(job.importId, 'objects', o.key));
  return (await journal.writeOnce(journaled)) ?? journaled;
}

/** replace: deletes one staged chunk of the user's ids the package does not hold, journaled part by part. */
async function deleteChunk(kind: EntityKind, n: number, job: ImportJob, input: WorkflowInput, deps: WorkflowDeps) {
  const ids = await new StagingReader(deps.s3, input.bucket, input.importId).deletionChunk(kind, n);
  const decisions = await readDecisions(deps.s3, input.bucket, job.decisionsKey);
  const chunk = DELETION_CHUNK_BASE + n;
  const journal = new Journal(deps.s3, input.bucket, input.importId);
  const done = await journal.partsOf(kind, chunk);
  const result = emptyResult();
  const overwrote: Record<string, number> = {};
  const months = new Set<string>();
  let journaled = 0;
  for (let p = 0; p * PART_SIZE < ids.length; p++) {
    await deps.jobs.leases.assertProcessing(job.importId);
    const key = done.get(p);
    const slice = ids.slice(p * PART_SIZE, (p + 1) * PART_SIZE);
    const part = key ? await journal.read(key) : await journalDeletions({ kind, chunk, job, deps, journal, decisions }, p, slice);
    result.skipped += part.result.skipped; // kept by a decision
    if (!part.items.length) continue;
    journaled++;
    for (const o of part.objects) await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.filesBucket, Key: o.key }));
    // only items still as journaled (a retry much later, or an edit by the app meanwhile, is left alone)
    await deps.entities.deleteUnchanged(kind, part.items);
    result.deleted = (result.deleted ?? 0) + (part.result.deleted ?? 0);
    for (const [other, c] of Object.entries(part.overwrote)) overwrote[other] = (overwrote[other] ?? 0) + c;
    for (const m of part.touched?.months ?? []) months.add(m);
  }
  // before the chunk counts as done: a run after a crash between the two records them again
  if (months.size) await deps.jobs.work.recordTouched(job.importId, [], undefined, undefined, [...months]);
  await deps.jobs.work.recordChunk(job.importId, `${kind}#delete${n}`, kind, result, overwrote, journaled);
  return result;
}

export async function importEntityPhase(kind: Exclude<EntityKind, 'transactions'>, input: WorkflowInput, deps: WorkflowDeps): Promise<void> {
  const started = Date.now();
  const log = deps.logger.child({ importId: input.importId, phase: PHASES[kind].phase });
  const job = await beginProcessing(input, deps);
  await withWriteLease(job, deps, async () => {
    await deps.jobs.reportProgress(input.importId, PHASES[kind].progress, PHASES[kind].phase);
    const manifest = await manifestOf(input, deps);
    const files = kind === FILE_KIND ? new StatementSource(job, input, deps) : undefined;
    const plan = await writePlan(input, job, deps);
    try {
      const total = emptyResult();
      for (let n = 0; n < manifest.chunks[kind]; n++) {
        const { result, overwrote, parts } = await writeChunk(kind, n, job, input, deps, plan, files);
        await deps.jobs.work.recordChunk(input.importId, `${kind}#${n}`, kind, result, overwrote, parts);
        for (const f of ['created', 'updated', 'skipped', 'unchanged'] as const) total[f] += result[f];
      }
      const deletions = job.mergeStrategy === 'replace' ? (manifest.deletions?.[kind] ?? 0) : 0; // a replace preview confirmed otherwise deletes nothing
      for (let n = 0; n < deletions; n++) total.deleted = (total.deleted ?? 0) + ((await deleteChunk(kind, n, job, input, deps)).deleted ?? 0);
      log.info('phase finished', { records: manifest.plan[kind].records, ...total, durationMs: Date.now() - started });
    } finally {
      files?.close();
    }
    log.metrics(PHASES[kind].phase, {
      Records: { value: manifest.plan[kind].records, unit: 'Count' },
      DurationMs: { value: Date.now() - started, unit: 'Milliseconds' },
    });
  });
}

export async function importTransactionsChunk(input: ChunkInput, deps: WorkflowDeps): Promise<void> {
  const started = Date.now();
  const log = deps.logger.child({ importId: input.importId, phase: PHASES.transactions.phase, chunk: input.chunk });
  const job = await beginProcessing(input, deps);
  await withWriteLease(job, deps, async () => {
    const manifest = await manifestOf(input, deps);
    const staged = manifest.chunks.transactions;
    const items = staged + (manifest.deletions?.transactions ?? 0);
    if (!Number.isInteger(input.chunk) || input.chunk < 0 || input.chunk >= items) {
      throw new ImportStateError(`import ${input.importId} has no transactions chunk ${input.chunk}`);
    }
    if (input.chunk >= staged) {
      // replace: a chunk of the user's transactions the package does not hold
      if (job.mergeStrategy !== 'replace') return; // a replace preview confirmed with another strategy
      const result = await deleteChunk('transactions', input.chunk - staged, job, input, deps);
      log.info('deletion chunk done', { deleted: result.deleted, durationMs: Date.now() - started });
      return;
    }
    // live progress: the phase as soon as a chunk starts, then the records after every part
    // (one write of the job item a part: the view derives the percentage from them)
    const total = Math.max(1, manifest.plan.transactions.records);
    await deps.jobs.reportProgress(input.importId, PHASES.transactions.progress, PHASES.transactions.phase);
    const onPart = async (n: number) => {
      await deps.jobs.work.addRecordsDone(input.importId, n, total);
    };
    const { result, overwrote, records, parts } = await writeChunk('transactions', input.chunk, job, input, deps, await writePlan(input, job, deps), undefined, onPart);
    await deps.jobs.work.recordChunk(input.importId, `transactions#${input.chunk}`, 'transactions', result, overwrote, parts);
    log.info('chunk written', { records, ...result, durationMs: Date.now() - started });
    log.metrics(PHASES.transactions.phase, {
      Records: { value: records, unit: 'Count' },
      DurationMs: { value: Date.now() - started, unit: 'Milliseconds' },
    });
  });
}

/** Resume confirmed import: the confirm call moved the job to processing; the Map needs the staged chunks. */
export async function resumePhase(input: WorkflowInput, deps: WorkflowDeps): Promise<{ transactionChunks: number[]; mapConcurrency: number }> {
  const job = await deps.jobs.get(input.importId);
  if (!job || job.userId !== input.userId) throw new ImportStateError(`import ${input.importId} does not match this execution`);
  if (job.status !== 'processing') throw new ImportStateError(`import ${input.importId} is ${job.status}, not confirmed`);
  const manifest = await manifestOf(input, deps);
  return { transactionChunks: chunkList(manifest), mapConcurrency: mapConcurrency(deps) };
}

/** Complete import: the results were added chunk by chunk from what the journal says was written. */
export async function completePhase(input: WorkflowInput, deps: WorkflowDeps): Promise<void> {
  const job = await beginProcessing(input, deps);
  if (job.status === 'completed') return; // a retry after a success whose answer was lost
  if (job.status !== 'processing') throw new ImportStateError(`import ${input.importId} is ${job.status}, not processing`);
  // Straight from validation (the state machine skipped the write phases: the plan writes
  // nothing, the same backup again): the results are what the plan found.
  const plan = job.requireConfirmation ? undefined : (await manifestOf(input, deps)).plan;
  const unchanged = plan && writesNothing(plan, job.mergeStrategy) ? { importResults: resultsOfPlan(plan, job.mergeStrategy) } : {};
  const done = await deps.jobs.transition(input.importId, 'completed', { currentPhase: 'completed', ...unchanged });
  deps.logger.child({ importId: input.importId, phase: 'complete' }).info('import completed', { importResults: done.importResults });
}
