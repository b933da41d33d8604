/** The job lifecycle's rules, status by status: every status × every action, in milliseconds. */
import { ACTION_TARGETS, cancelRule, canConfirm, CONFIRMABLE, deleteRule, inEffect, jobActions, LIFECYCLE, showsConflicts, undoRule } from '../../../functions/jobs/lifecycle';
import { ALLOWED_FROM, ImportJob, JOB_STATUSES, JobStatus } from '../../../functions/jobs/job';

type Facts = Pick<ImportJob, 'status' | 'validateOnly' | 'rolledBack' | 'writesStarted' | 'rollbackReason' | 'validationResults'>;
const job = (status: JobStatus, more: Partial<Facts> = {}): Facts => ({ status, validateOnly: false, validationResults: { valid: true }, ...more });

// status, cancel, undo, delete (not forced), in effect, conflicts listed, confirm
const TABLE: Array<[string, Facts, string, string, string, boolean, boolean, boolean]> = [
  ['uploaded', job('uploaded'), 'at_once', 'refused', 'allowed', false, false, false],
  ['queued', job('queued'), 'at_once', 'refused', 'allowed', false, false, false],
  ['validating', job('validating'), 'request', 'refused', 'running', false, false, false],
  ['validation_passed', job('validation_passed'), 'request', 'refused', 'running', false, true, false],
  ['validation_passed (validate-only: finished)', job('validation_passed', { validateOnly: true }), 'refused', 'refused', 'allowed', false, true, false],
  ['validation_failed', job('validation_failed'), 'refused', 'refused', 'allowed', false, false, false],
  ['awaiting_confirmation', job('awaiting_confirmation'), 'at_once', 'refused', 'allowed', false, true, true],
  ['awaiting_confirmation without results', job('awaiting_confirmation', { validationResults: undefined }), 'at_once', 'refused', 'allowed', false, false, true],
  ['expired', job('expired'), 'refused', 'refused', 'allowed', false, false, false],
  ['processing', job('processing', { writesStarted: true }), 'request', 'refused', 'running', true, true, false],
  ['canceling', job('canceling'), 'already', 'refused', 'running', true, false, false],
  ['rolling_back after a cancel', job('rolling_back', { rollbackReason: 'canceled' }), 'already', 'refused', 'running', true, false, false],
  ['rolling_back after a failure', job('rolling_back', { rollbackReason: 'failed' }), 'refused', 'refused', 'running', true, false, false],
  ['completed', job('completed', { writesStarted: true }), 'refused', 'start', 'allowed', true, true, false],
  ['failed, rolled back', job('failed', { rolledBack: true, writesStarted: true }), 'refused', 'refused', 'allowed', false, false, false],
  ['failed, not rolled back', job('failed', { rolledBack: false, writesStarted: true }), 'refused', 'start', 'undo_available', true, false, false],
  ['failed before writing', job('failed', { rolledBack: false, writesStarted: false }), 'refused', 'refused', 'allowed', true, false, false],
  ['canceled', job('canceled', { rolledBack: true }), 'refused', 'refused', 'allowed', false, false, false],
  ['undoing', job('undoing'), 'refused', 'already', 'running', true, false, false],
  ['undone', job('undone', { rolledBack: true }), 'refused', 'refused', 'allowed', false, false, false],
];

describe('job lifecycle', () => {
  it('has a row for every status', () => {
    expect(Object.keys(LIFECYCLE).sort()).toEqual([...JOB_STATUSES].sort());
    const covered = new Set(TABLE.map(([, j]) => j.status));
    expect([...JOB_STATUSES].filter((s) => !covered.has(s))).toEqual([]);
  });

  it.each(TABLE)('%s: cancel %s, undo %s, delete %s, in effect %s, conflicts %s, confirm %s', (_name, j, cancel, undo, del, effect, conflicts, confirm) => {
    expect(cancelRule(j)).toBe(cancel);
    expect(undoRule(j)).toBe(undo);
    expect(deleteRule(j, false)).toBe(del);
    expect(inEffect(j)).toBe(effect);
    expect(showsConflicts(j)).toBe(conflicts);
    expect(canConfirm(j)).toBe(confirm);
    // the actions a client is offered are exactly the ones these rules allow
    const offered = [
      ...(cancel === 'at_once' || cancel === 'request' ? ['cancel'] : []),
      ...(undo === 'start' ? ['undo'] : []),
      ...(del !== 'running' ? ['delete'] : []),
      ...(confirm ? ['confirm'] : []),
    ];
    expect(jobActions(j)).toEqual(offered);
  });

  it('moves a job only along transitions the job allows', () => {
    for (const [, j, cancel, undo, , , , confirm] of TABLE) {
      if (cancel === 'at_once') expect(ALLOWED_FROM[ACTION_TARGETS.cancelAtOnce]).toContain(j.status);
      if (cancel === 'request') expect(ALLOWED_FROM[ACTION_TARGETS.cancelRequest]).toContain(j.status);
      if (undo === 'start') expect(ALLOWED_FROM[ACTION_TARGETS.undo]).toContain(j.status);
      if (confirm) expect(ALLOWED_FROM[ACTION_TARGETS.confirm]).toContain(j.status);
    }
    expect(CONFIRMABLE).toBe('awaiting_confirmation');
  });

  it('delete with force gives up the undo of a failed import that was not rolled back, never a running one', () => {
    expect(deleteRule(job('failed', { rolledBack: false, writesStarted: true }), true)).toBe('allowed');
    expect(deleteRule(job('processing'), true)).toBe('running');
  });
});
