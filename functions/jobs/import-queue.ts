/**
 * When imports run. One import per user at a time: the user's lock (user-locks.ts) is taken
 * before validation and held until the import has ended (completed, failed and rolled back,
 * canceled, undone); an import that finds the lock taken waits in status `queued` and is
 * started, oldest first, when the holder ends. Validate-only jobs write nothing and do not
 * wait. Used by the S3 upload event, POST /import/{id}/upload, the reconcile handler and the
 * cleanup job alike, so every path gives one execution per job.
 */
import { ImportJob, isFinished } from './job';
import { JobStore } from './job-store';
import { AlreadyInStatusError, IllegalTransitionError, JobConflictError, JobNotFoundError } from './errors';
import { PackageStore } from './package-store';
import { WorkflowAction, WorkflowStarter } from './workflow-starter';
import { announceEnd, ImportEventPublisher } from './import-events';

export interface SchedulerDeps {
  jobs: JobStore;
  packages: PackageStore;
  workflow: WorkflowStarter;
  maxPackageBytes: number;
  /** Where the event of an import's end goes (the stack's EventBridge bus). */
  events?: ImportEventPublisher;
}

export type StartOutcome =
  | { outcome: 'started'; job: ImportJob }
  | { outcome: 'in_line'; job: ImportJob }
  | { outcome: 'already_started'; job: ImportJob }
  | { outcome: 'rejected_too_large'; job: ImportJob };

/**
 * Starts an execution for a job in its current status and records it on the job. The import
 * itself is named after the import (duplicate starts are one execution); a rollback or an undo
 * gets `{importId}-{action}-{n}` with n reserved first, so no two starts share a name.
 */
export async function launch(job: ImportJob, action: WorkflowAction, deps: SchedulerDeps): Promise<ImportJob> {
  // n counts the job's executions after the import itself: the first undo is {importId}-undo-2
  const name = action === 'import' ? job.importId : `${job.importId}-${action}-${(await deps.jobs.reserveExecution(job.importId, job.status)) + 1}`;
  const executionArn = await deps.workflow.start(name, {
    importId: job.importId,
    userId: job.userId,
    bucket: deps.packages.bucket,
    packageKey: job.packageS3Key,
    action,
  });
  try {
    await deps.jobs.updateIn(job.importId, job.status, { executionArn, executionName: name });
  } catch {
    // The execution already moved the job on; its name is derivable from the job anyway.
  }
  return (await deps.jobs.get(job.importId)) as ImportJob;
}

/**
 * Starts an import once its package is in S3 (or queues it behind the user's running import).
 * @param userId the caller (API) — a job of another user is "not found"; undefined for the
 *   S3 event path, where the key itself names the owner and is checked by the caller.
 */
export async function startImport(importId: string, userId: string | undefined, deps: SchedulerDeps): Promise<StartOutcome> {
  let job = userId === undefined ? await deps.jobs.get(importId) : await deps.jobs.getOwned(importId, userId);
  if (!job) throw new JobNotFoundError(importId);

  // validating without an execution: an earlier start claimed the job but StartExecution
  // failed or was lost. Starting again is safe: the execution name makes it idempotent.
  const resumable = job.status === 'validating' && !job.executionName;
  if (job.status !== 'uploaded' && !resumable) return { outcome: job.status === 'queued' ? 'in_line' : 'already_started', job };
  const head = await deps.packages.packageHead(job.packageS3Key);
  if (head === undefined) throw new JobConflictError(`no package has been uploaded for import ${importId} yet`);

  if (job.status === 'uploaded') {
    if (head.size > deps.maxPackageBytes) {
      const failed = await deps.jobs.transition(importId, 'failed', {
        packageSize: head.size,
        errorMessage: `the package is ${head.size} bytes; the limit is ${deps.maxPackageBytes} bytes`,
        currentPhase: 'rejected',
      });
      await jobEnded(failed, deps);
      return { outcome: 'rejected_too_large', job: failed };
    }
    const fields = { packageSize: head.size, packageETag: head.etag };
    if (job.validateOnly || (await deps.jobs.users.acquireLock(job.userId, importId))) {
      try {
        // exclusive: of simultaneous starts (the S3 event, retried POST /upload), one starts it
        job = await deps.jobs.transition(importId, 'validating', { ...fields, currentPhase: 'starting', progress: 0 }, { exclusive: true });
      } catch (err) {
        if (!(err instanceof AlreadyInStatusError)) throw err;
        const now = (await deps.jobs.get(importId)) as ImportJob;
        // the winner may have died before StartExecution: starting it again is idempotent (the name)
        if (now.status === 'validating' && !now.executionName) await launch(now, 'import', deps);
        return { outcome: 'already_started', job: now };
      }
    } else {
      // Queued first, then in line: the line only ever names queued jobs.
      job = await deps.jobs.transition(importId, 'queued', { ...fields, currentPhase: 'queued' });
      if (!(await joinLine(job, deps))) return { outcome: 'in_line', job };
      job = await deps.jobs.transition(importId, 'validating', { currentPhase: 'starting', progress: 0 }, { expected: 'queued' });
    }
  }
  return { outcome: 'started', job: await launch(job, 'import', deps) };
}

/**
 * Puts a queued job in its user's waiting line. True when it holds the lock instead (the lock
 * came free): the caller starts it. After joining the line the lock is tried once more, since
 * the holder may have released it (and read the line) just before we joined.
 */
export async function joinLine(job: ImportJob, deps: SchedulerDeps): Promise<boolean> {
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await deps.jobs.users.enqueue(job.userId, job.importId)) return deps.jobs.users.acquireLock(job.userId, job.importId);
    if (await deps.jobs.users.acquireLock(job.userId, job.importId)) return true;
  }
  throw new JobConflictError(`import ${job.importId} could not be scheduled; try again`);
}

/** Starts the user's oldest queued import if the lock is free. Returns the import started, if any. */
export async function startNextQueued(userId: string, deps: SchedulerDeps, waiting?: string[]): Promise<string | undefined> {
  const ids = waiting ?? (await deps.jobs.users.get(userId)).queued;
  const jobs = (await Promise.all(ids.map((id) => deps.jobs.get(id)))).map((j, i) => ({ id: ids[i], job: j }));
  for (const { id, job } of jobs) if (!job || (job.status !== 'queued' && job.status !== 'uploaded')) await deps.jobs.users.dequeue(userId, id);
  const candidates = jobs.filter((c) => c.job?.status === 'queued').sort((a, b) => (a.job as ImportJob).uploadedAt - (b.job as ImportJob).uploadedAt);
  for (const { id } of candidates) {
    if (!(await deps.jobs.users.acquireLock(userId, id))) return undefined;
    try {
      const job = await deps.jobs.transition(id, 'validating', { currentPhase: 'starting', progress: 0 }, { expected: 'queued' });
      // If StartExecution fails here, the job is validating without an execution: the cleanup
      // launches it again (the same resumable path as POST /upload).
      await launch(job, 'import', deps);
      return id;
    } catch (err) {
      if (!(err instanceof IllegalTransitionError)) throw err;
      await deps.jobs.users.releaseLock(userId, id); // canceled or deleted meanwhile: next one
    }
  }
  return undefined;
}

/**
 * A job has ended (or is gone): its slot and the user's lock are given back, and the next
 * queued import of the user starts. Idempotent: every path that sees an end may call it.
 */
export async function jobEnded(job: Pick<ImportJob, 'importId' | 'userId'> & Partial<ImportJob>, deps: SchedulerDeps): Promise<void> {
  if (job.status === undefined || isFinished(job as ImportJob)) await deps.jobs.users.releaseSlot(job.userId, job.importId);
  if (job.status === undefined || job.status === 'queued' || job.status === 'uploaded') await deps.jobs.users.dequeue(job.userId, job.importId);
  const waiting = await deps.jobs.users.releaseLock(job.userId, job.importId);
  if (waiting.length) await startNextQueued(job.userId, deps, waiting);
  // The event last: a bus that fails never holds the user's slot or lock. A caller that retries
  // (a workflow step) sends it then; otherwise the cleanup does (resendMissingEndEvents).
  if (job.status !== undefined && isFinished(job as ImportJob)) {
    const current = await deps.jobs.get(job.importId);
    if (current) await announceEnd(current, deps);
  }
}
