/**
 * What a user may do with an import in each status, as data: one row per status says what
 * cancel, undo and delete do, whether the import's writes are in effect (a later undo must
 * reckon with them) and whether its conflicts can be listed. The API asks these predicates and
 * never compares statuses itself; the table-driven tests cover every status × action.
 */
import { ImportJob, isRunning, JobStatus } from './job';

/** cancel: ends at once (nothing written) · asks the running workflow to stop and roll back · is already canceling · refused. */
export type CancelRule = 'at_once' | 'request' | 'already' | 'refused';
/** undo: starts · is already undoing · only when the import's rollback did not finish · refused. */
export type UndoRule = 'start' | 'already' | 'if_not_rolled_back' | 'refused';
/** in effect: its writes stand · only when its rollback did not finish · nothing of it stands. */
export type EffectRule = boolean | 'if_not_rolled_back';

export interface StatusRules {
  cancel: CancelRule;
  undo: UndoRule;
  inEffect: EffectRule;
  /** Its validation staged the plan and conflicts (GET …/conflicts). */
  showsConflicts: boolean;
  /** A preview waiting for confirm. */
  confirm: boolean;
}

export const LIFECYCLE: Readonly<Record<JobStatus, StatusRules>> = {
  uploaded: { cancel: 'at_once', undo: 'refused', inEffect: false, showsConflicts: false, confirm: false },
  queued: { cancel: 'at_once', undo: 'refused', inEffect: false, showsConflicts: false, confirm: false },
  validating: { cancel: 'request', undo: 'refused', inEffect: false, showsConflicts: false, confirm: false },
  validation_passed: { cancel: 'request', undo: 'refused', inEffect: false, showsConflicts: true, confirm: false },
  validation_failed: { cancel: 'refused', undo: 'refused', inEffect: false, showsConflicts: false, confirm: false },
  awaiting_confirmation: { cancel: 'at_once', undo: 'refused', inEffect: false, showsConflicts: true, confirm: true },
  expired: { cancel: 'refused', undo: 'refused', inEffect: false, showsConflicts: false, confirm: false },
  processing: { cancel: 'request', undo: 'refused', inEffect: true, showsConflicts: true, confirm: false },
  canceling: { cancel: 'already', undo: 'refused', inEffect: true, showsConflicts: false, confirm: false },
  // a rollback after a cancel is the cancel going on; after a failure it cannot be canceled
  rolling_back: { cancel: 'refused', undo: 'refused', inEffect: true, showsConflicts: false, confirm: false },
  completed: { cancel: 'refused', undo: 'start', inEffect: true, showsConflicts: true, confirm: false },
  failed: { cancel: 'refused', undo: 'if_not_rolled_back', inEffect: 'if_not_rolled_back', showsConflicts: false, confirm: false },
  canceled: { cancel: 'refused', undo: 'refused', inEffect: false, showsConflicts: false, confirm: false },
  undoing: { cancel: 'refused', undo: 'already', inEffect: true, showsConflicts: false, confirm: false },
  undone: { cancel: 'refused', undo: 'refused', inEffect: false, showsConflicts: false, confirm: false },
};

/** Where each action takes a job: the statuses the API moves it to (the lifecycle's transitions, as data). */
export const ACTION_TARGETS = {
  /** cancel, nothing written yet: the job ends. */
  cancelAtOnce: 'canceled',
  /** cancel while a workflow runs: it stops at its next step and rolls back. */
  cancelRequest: 'canceling',
  /** confirm of a preview: the import phases run. */
  confirm: 'processing',
  undo: 'undoing',
} as const satisfies Record<string, JobStatus>;

/** The one status confirm applies to. */
export const CONFIRMABLE: JobStatus = (Object.keys(LIFECYCLE) as JobStatus[]).find((s) => LIFECYCLE[s].confirm) as JobStatus;

type JobFacts = Pick<ImportJob, 'status' | 'validateOnly' | 'rolledBack' | 'writesStarted' | 'rollbackReason' | 'validationResults'>;

/** A failed import whose rollback did not finish: its writes stand, and its journal is the way back. */
function notRolledBack(job: JobFacts): boolean {
  return job.rolledBack === false && job.writesStarted === true;
}

export function cancelRule(job: JobFacts): CancelRule {
  if (job.status === 'rolling_back' && job.rollbackReason === 'canceled') return 'already';
  const rule = LIFECYCLE[job.status].cancel;
  // a validate-only job that passed has finished: nothing left to cancel
  return rule === 'request' && !isRunning(job) ? 'refused' : rule;
}

export function undoRule(job: JobFacts): 'start' | 'already' | 'refused' {
  const rule = LIFECYCLE[job.status].undo;
  if (rule === 'if_not_rolled_back') return notRolledBack(job) ? 'start' : 'refused';
  return rule;
}

/** Whether the import's writes stand (a later import's undo counts what it replaced of them). */
export function inEffect(job: JobFacts): boolean {
  const rule = LIFECYCLE[job.status].inEffect;
  return rule === 'if_not_rolled_back' ? job.rolledBack === false : rule;
}

/** confirm: only a preview waiting for it. */
export function canConfirm(job: Pick<ImportJob, 'status'>): boolean {
  return LIFECYCLE[job.status].confirm;
}

export function showsConflicts(job: JobFacts): boolean {
  return LIFECYCLE[job.status].showsConflicts && !!job.validationResults;
}

/** delete: refused while a workflow may run, and (unless forced) while undo is the only way back. */
export function deleteRule(job: JobFacts, force: boolean): 'allowed' | 'running' | 'undo_available' {
  if (isRunning(job)) return 'running';
  if (job.status === 'failed' && notRolledBack(job) && !force) return 'undo_available';
  return 'allowed';
}

/** What a user may ask of the import now: the buttons a client shows (cancel, undo, delete, confirm). */
export const JOB_ACTIONS = ['cancel', 'undo', 'delete', 'confirm'] as const;
export type JobAction = (typeof JOB_ACTIONS)[number];

export function jobActions(job: JobFacts): JobAction[] {
  const out: JobAction[] = [];
  const cancel = cancelRule(job);
  if (cancel === 'at_once' || cancel === 'request') out.push('cancel');
  if (undoRule(job) === 'start') out.push('undo');
  // a failed import not rolled back can be deleted too, once the user agrees to lose its undo (force)
  if (deleteRule(job, true) === 'allowed') out.push('delete');
  if (canConfirm(job)) out.push('confirm');
  return out;
}
