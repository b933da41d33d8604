/**
 * The scheduled cleanup:
 *  1. Reconciles jobs that look stuck (queued or running, not updated for a while): a running
 *     job whose execution has ended is reconciled like its end event would have (in case that
 *     event was lost); a queued job is started if its user's lock is free.
 *  2. Removes expired jobs: found through the job table's expiry index (a Query, never a
 *     Scan), their package, staging and journal objects deleted first, then the job item. A job
 *     that may still be running is never touched; running twice at once is safe (deletes are
 *     idempotent, the item delete is conditional). DynamoDB TTL on expiresAt stays as the backstop.
 */
import { isFinished, isRunning, JobStatus, RUNNING_STATUSES, TERMINAL_STATUSES } from './job';
import { IllegalTransitionError, JobConflictError } from './errors';
import { reconcileExecution } from './reconcile';
import { jobEnded, joinLine, launch, SchedulerDeps, startNextQueued } from './import-queue';
import { executionInput } from './workflow-starter';
import { errorFields, Logger } from '../shared/logger';
import { announceEnd } from './import-events';
import { ExportStore } from './export-store';
import { PackageStore } from './package-store';

export interface CleanupResult {
  expiredFound: number;
  jobsDeleted: number;
  objectsDeleted: number;
  skippedRunning: number;
  reconciled: number;
  queuedStarted: number;
  expiredPreviews: number;
  /** End events that a failed publish had left unsent, sent now. */
  eventsResent: number;
}

export interface CleanupOptions {
  /** A running job not updated for this long is checked against its execution (default STALE_AFTER_MS). */
  staleAfterMs?: number;
  /**
   * Every process that could hold a write lease is gone (the local stack restarting: its tasks
   * ran in the process that died). Leases are cleared before reconciling, so a rollback does not
   * wait out leases nobody holds. Never in AWS, where a Lambda may outlive its execution.
   */
  writersGone?: boolean;
}

export interface CleanupDeps extends SchedulerDeps {
  logger: Logger;
  /** Seconds a previewed import waits for confirmation before it expires (default 24 h). */
  confirmationTtlSeconds?: number;
}

/** Restarts of the local stack after which a rollback's attempts no longer start again. */
export const MAX_ROLLBACK_RESTARTS = 3;

/** A queued or running job not updated for this long is checked against its execution. */
export const STALE_AFTER_MS = 10 * 60 * 1000;

async function reconcileStale(deps: CleanupDeps, nowMs: number, result: CleanupResult, pageSize: number, opts: CleanupOptions = {}): Promise<void> {
  const staleAfterMs = opts.staleAfterMs ?? STALE_AFTER_MS;
  const statuses: JobStatus[] = ['queued', 'awaiting_confirmation', ...RUNNING_STATUSES];
  for (const status of statuses) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await deps.jobs.listByStatus(status, pageSize, start);
      start = page.next;
      for (const key of page.jobs) {
        const job = await deps.jobs.get(key.importId);
        if (!job || job.status !== status) continue;
        if (status === 'awaiting_confirmation') {
          // a preview nobody confirmed or canceled in time ends expired (nothing was written)
          if (nowMs - job.updatedAt < (deps.confirmationTtlSeconds ?? 86400) * 1000) continue;
          const expired = await deps.jobs.transition(job.importId, 'expired', { currentPhase: 'expired', errorMessage: 'not confirmed in time; nothing was written' }, { expected: 'awaiting_confirmation' });
          try {
            await jobEnded(expired, deps);
          } catch (err) {
            deps.logger.warn('expired, but the end of the job was not fully handled; the next cleanup finishes it', { importId: job.importId, ...errorFields(err) });
          }
          result.expiredPreviews++;
          continue;
        }
        if (nowMs - job.updatedAt < staleAfterMs) continue;
        if (status === 'queued') {
          // back in line if it dropped out of it, and started if the user's lock is free
          if (await joinLine(job, deps)) {
            await deps.jobs.users.releaseLock(job.userId, job.importId);
            if (await startNextQueued(job.userId, deps, [job.importId])) result.queuedStarted++;
          }
          continue;
        }
        if (!isRunning(job)) continue;
        if (job.status === 'validating' && !job.executionName) {
          // its StartExecution failed after the job was claimed: start it again (idempotent by name)
          await launch(job, 'import', deps);
          result.reconciled++;
          continue;
        }
        const name = job.executionName ?? job.importId;
        // An execution that cannot be found (history expired, state machine replaced, a
        // stand-in that lost it) will never end on its own: it is treated as aborted.
        const executionStatus = (await deps.workflow.status(name)) ?? 'ABORTED';
        if (executionStatus === 'RUNNING') continue;
        const input = executionInput({ importId: job.importId, userId: job.userId, bucket: deps.packages.bucket, packageKey: job.packageS3Key });
        await reconcileExecution({ name, status: executionStatus, input }, deps);
        result.reconciled++;
      }
    } while (start);
  }
}

/** Clears the write leases of every running job, and the rollback attempts of the process that died (see CleanupOptions.writersGone). */
export async function clearDeadWriters(deps: Pick<CleanupDeps, 'jobs'>, pageSize = 100): Promise<number> {
  let cleared = 0;
  for (const status of RUNNING_STATUSES) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await deps.jobs.listByStatus(status, pageSize, start);
      start = page.next;
      for (const key of page.jobs) {
        if (await deps.jobs.leases.clear(key.importId)) cleared++;
        if (status === 'rolling_back' || status === 'undoing') {
          // the rollback that was running died with the process; it did not fail: its attempts
          // start again — a few times only, in case it is what brings the process down
          const job = await deps.jobs.get(key.importId);
          const restarts = job?.rollbackRestarts ?? 0;
          if (job && restarts < MAX_ROLLBACK_RESTARTS) {
            await deps.jobs.updateIn(key.importId, status, { rollbackAttempts: 0, rollbackRestarts: restarts + 1 }).catch((err) => {
              if (!(err instanceof IllegalTransitionError)) throw err;
            });
          }
        }
      }
    } while (start);
  }
  return cleared;
}

export async function cleanupExpiredJobs(deps: CleanupDeps, nowSeconds = Math.floor(Date.now() / 1000), pageSize = 100, opts: CleanupOptions = {}): Promise<CleanupResult> {
  const result: CleanupResult = { expiredFound: 0, jobsDeleted: 0, objectsDeleted: 0, skippedRunning: 0, reconciled: 0, queuedStarted: 0, expiredPreviews: 0, eventsResent: 0 };
  if (opts.writersGone) await clearDeadWriters(deps, pageSize);
  await reconcileStale(deps, nowSeconds * 1000, result, pageSize, opts);
  await resendMissingEndEvents(deps, nowSeconds * 1000, result, pageSize);
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.jobs.listExpired(nowSeconds, pageSize, start);
    start = page.next;
    for (const expired of page.jobs) {
      result.expiredFound++;
      const job = await deps.jobs.get(expired.importId); // the index is eventually consistent
      if (!job) continue;
      if (job.expiresAt > nowSeconds) continue;
      if (isRunning(job) && !isFinished(job)) {
        result.skippedRunning++;
        continue;
      }
      // The item first (conditional: an undo may have started since we read it), then its objects.
      try {
        await deps.jobs.deleteUnlessRunning(job.importId);
      } catch (err) {
        if (!(err instanceof JobConflictError)) throw err;
        result.skippedRunning++;
        continue;
      }
      result.objectsDeleted += await deps.packages.deleteImportObjects(job.packageS3Key, job.importId);
      await jobEnded({ importId: job.importId, userId: job.userId }, deps);
      result.jobsDeleted++;
    }
  } while (start);
  deps.logger.info('cleanup finished', { ...result });
  return result;
}

/** How far back the cleanup looks for finished jobs whose end event was never sent. */
const RESEND_WINDOW_MS = 2 * 86_400_000;

/**
 * At least once: a job that finished while the event bus failed has its status missing from
 * `eventsSent`; the event is sent now. Looks at jobs uploaded within RESEND_WINDOW_MS (an import
 * ends well within that), one status at a time.
 */
async function resendMissingEndEvents(deps: CleanupDeps, nowMs: number, result: CleanupResult, pageSize: number): Promise<void> {
  if (!deps.events) return;
  for (const status of TERMINAL_STATUSES) {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await deps.jobs.listByStatus(status, pageSize, start, nowMs - RESEND_WINDOW_MS);
      start = page.next;
      for (const key of page.jobs) {
        const job = await deps.jobs.get(key.importId);
        if (!job || job.status !== status) continue; // announceEnd skips what was already sent
        try {
          if (await announceEnd(job, deps)) result.eventsResent++;
        } catch (err) {
          deps.logger.warn('end event still not sent; next cleanup retries', { importId: job.importId, ...errorFields(err) });
        }
      }
    } while (start);
  }
}

/**
 * Removes finished exports whose retention has passed, with their package and staging objects
 * (the item first, then the objects). An export still processing past its expiry has stopped
 * moving: it is failed (its execution ended long ago) and removed at the next run.
 */
export async function cleanupExpiredExports(
  deps: { exports: ExportStore; packages: PackageStore; logger: Logger },
  nowSeconds = Math.floor(Date.now() / 1000),
  pageSize = 100,
): Promise<{ exportsDeleted: number; objectsDeleted: number; stuckFailed: number }> {
  const result = { exportsDeleted: 0, objectsDeleted: 0, stuckFailed: 0 };
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.exports.listExpired(nowSeconds, pageSize, start);
    start = page.next;
    for (const expired of page.jobs) {
      const job = await deps.exports.get(expired.exportId);
      if (!job || job.expiresAt > nowSeconds) continue;
      if (job.status === 'processing') {
        await deps.exports.finish(job.exportId, 'failed', { currentPhase: 'failed', errorMessage: 'Export failed: it did not finish in time' });
        result.stuckFailed++;
        continue;
      }
      try {
        await deps.exports.deleteUnlessRunning(job.exportId);
      } catch (err) {
        if (!(err instanceof JobConflictError)) throw err;
        continue;
      }
      result.objectsDeleted += await deps.packages.deleteExportObjects(job.packageKey, job.exportId);
      await deps.exports.slots.releaseSlot(job.userId, job.exportId);
      result.exportsDeleted++;
    }
  } while (start);
  deps.logger.info('export cleanup finished', { ...result });
  return result;
}
