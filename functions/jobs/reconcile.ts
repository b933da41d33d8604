/**
 * Every execution end reconciles its job, however the execution ended (succeeded, failed,
 * timed out, aborted by StopExecution, or a Catch state that itself failed). In AWS an
 * EventBridge rule on "Step Functions Execution Status Change" calls this; the local stack
 * delivers the same event to the same handler; the cleanup job calls it for running jobs whose
 * execution has ended, in case an event was lost.
 *
 * - The job already ended: its slot and the user's lock are released, the next queued import starts.
 * - The job is still "running" but its execution is over: if nothing was written yet, it ends
 *   failed (or canceled); otherwise a rollback execution is started (at most twice), and only a
 *   rollback that cannot run ends the job failed with rolledBack false.
 */
import { ImportJob, isRunning } from './job';
import { SchedulerDeps, jobEnded, launch } from './import-queue';
import { ExecutionStatus, WorkflowInput } from './workflow-starter';
import { Logger } from '../shared/logger';
import { IllegalTransitionError } from './errors';
import { ExportStore } from './export-store';

export interface ExecutionEnd {
  name: string;
  status: ExecutionStatus;
  /** The execution's input (JSON). */
  input?: string;
}

export type ReconcileOutcome = 'released' | 'ended_without_writes' | 'rollback_started' | 'marked_failed' | 'ignored' | 'still_running';

const MAX_ROLLBACK_ATTEMPTS = 2;

function parseInput(text: string | undefined): WorkflowInput | undefined {
  try {
    const v = JSON.parse(text ?? '') as WorkflowInput;
    return typeof v.importId === 'string' && typeof v.userId === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

export async function reconcileExecution(end: ExecutionEnd, deps: SchedulerDeps & { logger: Logger }, attempt = 0): Promise<ReconcileOutcome> {
  try {
    return await reconcileOnce(end, deps);
  } catch (err) {
    // Another writer moved the job between our read and our write (every write here is
    // conditional on the status read): decide again on what the job is now.
    if (err instanceof IllegalTransitionError && attempt < 3) return reconcileExecution(end, deps, attempt + 1);
    throw err;
  }
}

async function reconcileOnce(end: ExecutionEnd, deps: SchedulerDeps & { logger: Logger }): Promise<ReconcileOutcome> {
  if (end.status === 'RUNNING') return 'still_running';
  const input = parseInput(end.input);
  if (!input) return 'ignored';
  const log = deps.logger.child({ importId: input.importId, execution: end.name, executionStatus: end.status });
  const job = await deps.jobs.get(input.importId);
  if (!job) {
    await jobEnded({ importId: input.importId, userId: input.userId }, deps);
    return 'released';
  }
  if (job.userId !== input.userId) return 'ignored';
  const current = (job.executionName ?? job.importId) === end.name;
  if (!isRunning(job) || !current) {
    if (!isRunning(job)) await jobEnded(job, deps);
    return current || !isRunning(job) ? 'released' : 'ignored';
  }

  // The job's current execution is over but the job says it is running.
  const how = end.status === 'SUCCEEDED' ? 'ended' : `ended ${end.status}`;
  if (!job.writesStarted && ['validating', 'validation_passed', 'canceling'].includes(job.status)) {
    const to = job.cancelRequested ? 'canceled' : 'failed';
    const ended = await deps.jobs.transition(
      job.importId,
      to,
      {
        rolledBack: true,
        currentPhase: to,
        errorMessage: to === 'canceled' ? 'canceled by the user' : `Import failed: the workflow ${how} before writing anything`,
      },
      // only if no write phase began meanwhile (it would have moved the job to processing)
      { expected: job.status },
    );
    log.warn('execution ended outside the workflow; nothing had been written', { status: to });
    await jobEnded(ended, deps);
    return 'ended_without_writes';
  }
  const attempts = job.rollbackAttempts ?? 0;
  if (attempts >= MAX_ROLLBACK_ATTEMPTS) {
    const failed = await deps.jobs.transition(
      job.importId,
      'failed',
      {
        rolledBack: false,
        currentPhase: 'rollback_failed',
        errorMessage: `${job.errorMessage ? `${job.errorMessage}; ` : ''}the rollback could not finish (the workflow ${how}); POST /import/${job.importId}/undo tries again`,
      },
      { expected: job.status },
    );
    log.error('rollback attempts exhausted');
    await jobEnded(failed, deps);
    return 'marked_failed';
  }
  let next: ImportJob = job;
  if (['validating', 'validation_passed', 'processing', 'canceling'].includes(job.status)) {
    const canceled = job.cancelRequested === true;
    next = await deps.jobs.transition(
      job.importId,
      'rolling_back',
      {
        rollbackReason: canceled ? 'canceled' : 'failed',
        errorMessage: canceled ? 'canceled by the user' : `Import failed: the workflow ${how} in phase "${job.currentPhase ?? 'unknown'}"`,
        currentPhase: 'rolling_back',
        rollbackCursor: '0|',
        rollbackResults: { restored: 0, deleted: 0, changedSince: 0 },
        rollbackParts: 0,
        progress: 0, // the rollback's own progress from here
      },
      { expected: job.status },
    );
  }
  await deps.jobs.updateIn(job.importId, next.status, { rollbackAttempts: attempts + 1 });
  const started = await launch({ ...next, rollbackAttempts: attempts + 1 }, next.status === 'undoing' ? 'undo' : 'rollback', deps);
  log.warn('execution ended outside the workflow; rollback started', { execution: started.executionName });
  return 'rollback_started';
}

/** The export state machine's executions: an export whose execution ended without finishing it ends failed. */
export async function reconcileExportExecution(end: ExecutionEnd, deps: { exports: ExportStore; logger: Logger }): Promise<ReconcileOutcome> {
  if (end.status === 'RUNNING') return 'still_running';
  let input: { exportId?: unknown; userId?: unknown };
  try {
    input = JSON.parse(end.input ?? '');
  } catch {
    return 'ignored';
  }
  if (typeof input.exportId !== 'string' || typeof input.userId !== 'string') return 'ignored';
  const job = await deps.exports.get(input.exportId);
  if (!job || job.userId !== input.userId) {
    await deps.exports.slots.releaseSlot(input.userId, input.exportId);
    return 'released';
  }
  if (job.status !== 'processing') {
    await deps.exports.slots.releaseSlot(job.userId, job.exportId);
    return 'released';
  }
  await deps.exports.finish(job.exportId, 'failed', {
    currentPhase: 'failed',
    errorMessage: `Export failed: the workflow ${end.status === 'SUCCEEDED' ? 'ended' : `ended ${end.status}`} before the package was complete`,
  });
  deps.logger.child({ exportId: job.exportId, executionStatus: end.status }).warn('export execution ended outside the workflow');
  return 'marked_failed';
}
