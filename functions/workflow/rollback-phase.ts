/**
 * Roll back import: puts back what the journal says the user had, newest kind first
 * (transactions, then statement files, file maps, categories, accounts). Each key is restored
 * only while it still carries this import's id; a key that is already as it was counts as
 * restored (a step running again), and a key something else changed since is left alone,
 * counted, and what it would have been put back to kept in the undo ledger (entities/ledger.ts).
 * A before-image written by an import whose writes were undone since is followed through that
 * import's ledger to what was there before it, so undo chains end where the user started.
 * Used after a failure, after a cancel, and for undo of a completed import.
 *
 *   Begin rollback  -> the job stops processing (rolling_back), so no new write can start
 *   Writers done?   -> waits until every write lease has ended (a Lambda may outlive its Map)
 *   Roll back import (repeated until done) -> Finish rollback -> failed | canceled | undone
 */
import { CopyObjectCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import { ENTITY_KINDS, EntityKind, REFERENCE_KINDS, FILE_KIND } from '../fzip/entities';
import { mapLimit } from '../entities/batch-writer';
import { Journal, JournalItem, JournalObject, JournalPart } from '../entities/journal';
import { copySource, KeptReferences, UndoLedger } from '../entities/ledger';
import { addReferences, referencesOf } from '../fzip/references';
import { ImportJob, isFinished, RollbackResults } from '../jobs/job';
import { ImportStateError } from './errors';
import { FailInput, WorkflowDeps, WorkflowInput } from './context';
import { failureMessage, safeReason } from './failure';
import { headFile } from './statement-files';
import { errorFields } from '../shared/logger';

/** Rollback order: the reverse of the import order. */
const ROLLBACK_ORDER = [...ENTITY_KINDS].reverse();
const START_CURSOR = '0|';
const zero = (): RollbackResults => ({ restored: 0, deleted: 0, changedSince: 0 });

async function jobOf(input: WorkflowInput, deps: WorkflowDeps): Promise<ImportJob> {
  const job = await deps.jobs.get(input.importId);
  if (!job || job.userId !== input.userId) throw new ImportStateError(`import ${input.importId} does not match this execution`);
  return job;
}

export interface WritersOutput {
  writersActive: boolean;
}

/** Begin rollback: the job leaves processing (new write leases are refused from now on). */
export async function rollbackBegin(input: FailInput, deps: WorkflowDeps): Promise<WritersOutput> {
  const job = await jobOf(input, deps);
  const log = deps.logger.child({ importId: input.importId, phase: 'rollback' });
  if (input.error) log.error('import step failed', { failedPhase: input.phase, errorName: input.error.Error, cause: String(input.error.Cause ?? '').slice(0, 2000) });
  if (['validating', 'validation_passed', 'processing', 'canceling'].includes(job.status)) {
    const canceled = job.cancelRequested === true || job.status === 'canceling' || input.error?.Error === 'ImportCanceledError';
    await deps.jobs.transition(
      input.importId,
      'rolling_back',
      {
        rollbackReason: canceled ? 'canceled' : 'failed',
        errorMessage: canceled ? 'canceled by the user' : failureMessage(input.phase, input.error),
        currentPhase: 'rolling_back',
        rollbackCursor: START_CURSOR,
        rollbackResults: zero(),
        rollbackParts: 0,
        progress: 0, // the rollback's own progress from here
      },
      { expected: job.status },
    );
  } else if (job.status !== 'rolling_back' && job.status !== 'undoing') {
    throw new ImportStateError(`import ${input.importId} is ${job.status}; there is nothing to roll back`);
  }
  return checkWriters(input, deps);
}

/** Whether a step may still be writing (a live write lease). */
export async function checkWriters(input: WorkflowInput, deps: WorkflowDeps): Promise<WritersOutput> {
  return { writersActive: (await deps.jobs.leases.live(input.importId)) > 0 };
}

/** Whether an import's writes were undone (the ledger's mark, or its job's status for older imports). */
function jobSaysRolledBack(deps: WorkflowDeps): RolledBackLookup {
  return async (id) => {
    const j = await deps.jobs.get(id);
    return j?.status === 'undone' || j?.status === 'undoing' || ((j?.status === 'failed' || j?.status === 'canceled') && j.rolledBack === true);
  };
}

/** Longest chain of rolled-back imports followed for one key (a guard; real chains are short). */
const MAX_HOPS = 1000;

/**
 * What a key is put back to: its before-image, unless that image was written by an import whose
 * writes were undone since — then what that import's rollback would have put back (its ledger),
 * and so on. Undefined when it cannot be known (an import undone before the ledger existed).
 */
type RolledBackLookup = (importId: string) => Promise<boolean>;

async function resolveItem(
  kind: EntityKind,
  entry: JournalItem,
  job: ImportJob,
  ledger: UndoLedger,
  jobSays: RolledBackLookup,
): Promise<{ before: Record<string, unknown> | null } | undefined> {
  let before = entry.before;
  const followed = new Set<string>();
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    if (!before) {
      // absent: perhaps only because a replace import deleted it, and that import was undone since
      const deleter = await ledger.deletedBy(kind, entry.sk);
      if (!deleter || deleter === job.importId || followed.has(deleter) || !(await ledger.isRolledBack(deleter, jobSays))) return { before };
      followed.add(deleter);
      // no entry: its undo found the key empty and put the record back itself; absent it stays
      before = (await ledger.item(deleter, kind, entry.sk))?.before ?? null;
      continue;
    }
    const by = before.importId;
    if (typeof by !== 'string' || by === job.importId || !(await ledger.isRolledBack(by, jobSays))) return { before };
    const next = await ledger.item(by, kind, entry.sk);
    if (!next) return undefined;
    before = next.before;
  }
  return undefined;
}

/** The same for a statement file: the object to put back, followed through rolled-back imports' ledgers. */
async function resolveObject(o: JournalObject, job: ImportJob, ledger: UndoLedger, jobSays: RolledBackLookup): Promise<JournalObject | undefined> {
  let target = o;
  const followed = new Set<string>();
  for (let hop = 0; hop < MAX_HOPS; hop++) {
    if (!target.existed) {
      // absent: perhaps only because a replace import deleted it, and that import was undone since
      const deleter = await ledger.deletedBy('objects', o.key);
      if (!deleter || deleter === job.importId || followed.has(deleter) || !(await ledger.isRolledBack(deleter, jobSays))) return target;
      followed.add(deleter);
      target = (await ledger.object(deleter, o.key)) ?? target;
      continue;
    }
    const by = target.beforeImportId;
    if (!by || by === job.importId || !(await ledger.isRolledBack(by, jobSays))) return target;
    const next = await ledger.object(by, o.key);
    if (!next) return undefined;
    target = next;
  }
  return undefined;
}

/** Puts one statement file back (the copy kept before the import), or deletes the one the import created. */
async function restoreObject(
  o: JournalObject,
  job: ImportJob,
  journalBucket: string,
  deps: WorkflowDeps,
  ledger: UndoLedger,
  jobSays: RolledBackLookup,
): Promise<keyof RollbackResults> {
  const target = await resolveObject(o, job, ledger, jobSays);
  const now = await headFile(deps.s3, deps.filesBucket, o.key);
  if (!target) return 'changedSince';
  if (o.deleted && !now && target.existed && target.copyKey) {
    // deleted by this import (replace) and still absent: put back
    await deps.s3.send(new CopyObjectCommand({ Bucket: deps.filesBucket, Key: o.key, CopySource: copySource(journalBucket, target.copyKey), MetadataDirective: 'COPY' }));
    return 'restored';
  }
  if (now && now.importId === job.importId) {
    if (target.existed && target.copyKey) {
      await deps.s3.send(new CopyObjectCommand({ Bucket: deps.filesBucket, Key: o.key, CopySource: copySource(journalBucket, target.copyKey), MetadataDirective: 'COPY' }));
      return 'restored';
    }
    await deps.s3.send(new DeleteObjectCommand({ Bucket: deps.filesBucket, Key: o.key }));
    return 'deleted';
  }
  // Not this import's bytes any more: already as they were (a step running again), or changed since.
  if (target.existed && now && (now.etag === target.etag || (target.beforeImportId !== undefined && now.importId === target.beforeImportId))) {
    // the same bytes, but written by another import since: its undo must still learn what was here
    if (now.importId !== target.beforeImportId) await ledger.recordObject(job.importId, target, journalBucket);
    return 'restored';
  }
  if (!target.existed && !now) return 'deleted';
  // Left as it is; what was there before stays known to the later import's undo.
  await ledger.recordObject(job.importId, target, journalBucket);
  return 'changedSince';
}

async function rollbackPart(
  part: JournalPart,
  partKey: string,
  job: ImportJob,
  journal: Journal,
  deps: WorkflowDeps,
  ledger: UndoLedger,
  kept: Map<EntityKind, Set<string>>,
  /** Kept ids already read for what they refer to, in this step. */
  expanded: Set<string>,
): Promise<RollbackResults> {
  const out = zero();
  const jobSays = jobSaysRolledBack(deps);
  if (part.kind !== 'transactions') await closeKept(kept, expanded, job.userId, deps);
  // records left as they are: what they refer to must stay (see UndoLedger.recordKeptReferences)
  const left: string[] = [];
  const neededByKept = new Set<string>();
  const outcomes = await mapLimit(part.items, 16, async (entry): Promise<keyof RollbackResults> => {
    const resolved = await resolveItem(part.kind, entry, job, ledger, jobSays);
    if (!resolved) {
      left.push(entry.sk);
      return 'changedSince';
    }
    // created by this import, but a record left in place refers to it: kept, as that record is
    if (!resolved.before && !entry.deleted && kept.get(part.kind)?.has(entry.sk)) {
      left.push(entry.sk);
      neededByKept.add(entry.sk);
      return 'changedSince';
    }
    const key = { pk: entry.pk, sk: entry.sk };
    // a deleted item comes back while its key is empty; a written one while it carries this import
    const done =
      entry.deleted && resolved.before
        ? await deps.entities.restoreDeleted(part.kind, key, resolved.before)
        : await deps.entities.restore(part.kind, key, resolved.before, job.importId);
    if (done === 'changed') {
      // A later import (or the app) wrote the key since: left as it is, and what this rollback
      // would have put back is kept for that import's undo.
      await ledger.recordItem(job.importId, part.kind, { pk: entry.pk, sk: entry.sk, before: resolved.before });
      left.push(entry.sk);
      return 'changedSince';
    }
    return resolved.before ? 'restored' : 'deleted';
  });
  for (const o of outcomes) out[o]++;
  if (left.length) {
    const current = await deps.entities.currentItems(part.kind, job.userId, left, true);
    const found = new Map<EntityKind, Set<string>>();
    for (const item of current.values()) addReferences(found, referencesOf(item));
    if (found.size) {
      const refs: KeptReferences = Object.fromEntries([...found].map(([k, ids]) => [k, [...ids]]));
      // recorded before the cursor moves on: a rollback resumed after a crash still knows them
      await ledger.recordKeptReferences(job.importId, partKey, refs);
      addReferences(kept, refs);
    }
  }
  // a statement file record kept for a record left in place keeps its bytes too
  const keptFiles = part.kind === FILE_KIND ? neededByKept : new Set<string>();
  for (const o of part.objects) {
    if (keptFiles.size && [...keptFiles].some((fileId) => o.key.startsWith(`${job.userId}/${fileId}/`))) {
      out.changedSince++;
      continue;
    }
    out[await restoreObject(o, job, journal.bucket, deps, ledger, jobSays)]++;
  }
  return out;
}

/**
 * What kept records refer to, transitively (a kept category's parents, a kept account's default
 * file map, a kept file map's account …), read from the records as they are now: few ids, read
 * once each. Run before each part of a reference kind, so whatever a kept record needs is kept
 * before its kind's parts are rolled back.
 */
async function closeKept(kept: Map<EntityKind, Set<string>>, expanded: Set<string>, userId: string, deps: WorkflowDeps): Promise<void> {
  for (let grew = true; grew; ) {
    grew = false;
    for (const kind of REFERENCE_KINDS) {
      const todo = [...(kept.get(kind) ?? [])].filter((id) => !expanded.has(`${kind}#${id}`));
      if (!todo.length) continue;
      for (const id of todo) expanded.add(`${kind}#${id}`);
      for (const item of (await deps.entities.currentItems(kind, userId, todo, true)).values()) if (addReferences(kept, referencesOf(item))) grew = true;
    }
  }
}

export interface RollbackStepOutput {
  done: boolean;
}

/**
 * Roll back import: works through journal parts from the job's cursor until done or out of time
 * (the state machine calls it again), advancing the cursor after every part.
 */
export async function rollbackStep(input: WorkflowInput, deps: WorkflowDeps): Promise<RollbackStepOutput> {
  const job = await jobOf(input, deps);
  if (job.status !== 'rolling_back' && job.status !== 'undoing') throw new ImportStateError(`import ${input.importId} is ${job.status}, not rolling back`);
  const log = deps.logger.child({ importId: input.importId, phase: 'rollback' });
  const journal = new Journal(deps.s3, input.bucket, input.importId);
  const deadline = Date.now() + Math.max(5_000, (deps.remainingMs?.() ?? 300_000) - 60_000);
  let cursor = job.rollbackCursor ?? START_CURSOR;
  let partsDone = job.rollbackParts ?? 0;
  const ledger = new UndoLedger(deps.s3, input.bucket, job.userId);
  const kept = await ledger.keptReferences(input.importId);
  const expanded = new Set<string>();
  const advance = async (to: string, delta: RollbackResults, parts = 0) => {
    if (!(await deps.jobs.work.advanceRollback(input.importId, cursor, to, delta, parts))) {
      throw new ImportStateError(`the rollback of import ${input.importId} moved on elsewhere`);
    }
    cursor = to;
  };
  while (Date.now() < deadline) {
    const [k, after] = [Number(cursor.split('|')[0]), cursor.slice(cursor.indexOf('|') + 1)];
    if (k >= ROLLBACK_ORDER.length) break;
    const kind = ROLLBACK_ORDER[k];
    const page = await journal.partKeys(kind, after || undefined, 20);
    if (!page.keys.length) {
      await advance(`${k + 1}|`, zero());
      continue;
    }
    for (const key of page.keys) {
      const delta = await rollbackPart(await journal.read(key), key, job, journal, deps, ledger, kept, expanded);
      await advance(`${k}|${key}`, delta, 1);
      // its own progress: parts put back of the parts the import journaled
      partsDone++;
      await deps.jobs.reportProgress(input.importId, Math.min(99, (100 * partsDone) / Math.max(partsDone, job.journalParts ?? 0, 1)), job.status);
      if (Date.now() >= deadline) break;
    }
  }
  const done = Number(cursor.split('|')[0]) >= ROLLBACK_ORDER.length;
  log.info('rollback step', { done, cursor: cursor.split('|')[0] });
  return { done };
}

export interface FinishOutput {
  outcome: 'failed' | 'canceled' | 'undone';
}

/** Finish rollback: the job ends failed, canceled or undone, rolled back. */
export async function rollbackFinish(input: WorkflowInput, deps: WorkflowDeps): Promise<FinishOutput> {
  const job = await jobOf(input, deps);
  const log = deps.logger.child({ importId: input.importId, phase: 'rollback' });
  if (job.status === 'undone' || job.status === 'canceled' || job.status === 'failed') return { outcome: job.status };
  if ((job.rollbackParts ?? 0) < (job.journalParts ?? 0)) {
    // Fewer parts were rolled back than the import journaled: parts are missing. Never report that as rolled back.
    throw new ImportStateError(`the journal of import ${input.importId} is incomplete (${job.rollbackParts ?? 0} of ${job.journalParts} parts)`);
  }
  const outcome = job.status === 'undoing' ? 'undone' : job.rollbackReason === 'canceled' ? 'canceled' : 'failed';
  // Before the job says so: a later undo follows this mark even after this job is deleted.
  await new UndoLedger(deps.s3, input.bucket, job.userId).markRolledBack(input.importId, outcome);
  await deps.jobs.transition(input.importId, outcome, { rolledBack: true, currentPhase: outcome }, { expected: job.status });
  log.info('rolled back', { outcome, ...(job.rollbackResults ?? {}) });
  return { outcome };
}

/** Catch of the rollback states: the job ends failed, saying the rollback did not finish (undo tries again). */
export async function rollbackFailed(input: FailInput, deps: WorkflowDeps): Promise<void> {
  const job = await deps.jobs.get(input.importId);
  deps.logger.child({ importId: input.importId, phase: 'rollback' }).error('rollback failed', {
    errorName: input.error?.Error,
    cause: String(input.error?.Cause ?? '').slice(0, 2000),
  });
  if (!job || job.userId !== input.userId) return;
  if (isFinished(job)) return;
  const before = job.errorMessage && job.status === 'rolling_back' ? `${job.errorMessage}; ` : '';
  try {
    await deps.jobs.transition(input.importId, 'failed', {
      rolledBack: false,
      currentPhase: 'rollback_failed',
      errorMessage: `${before}the rollback could not finish (${safeReason(input.error)}); POST /import/${input.importId}/undo tries again`,
    });
  } catch (err) {
    deps.logger.child({ importId: input.importId }).error('could not mark the rollback failed', errorFields(err));
    throw err;
  }
}
