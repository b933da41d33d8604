/** The job lifecycle's rules, status by status: every status × every action, in milliseconds. */
import { cancelRule, canConfirm, deleteRule, inEffect, LIFECYCLE, showsConflicts, undoRule } from '../../../functions/jobs/lifecycle';
import { ImportJob, JOB_STATUSES, JobStatus } from '../../../functions/jobs/job';

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
  });

  it('delete with force gives up the undo of a failed import that was not rolled back, never a running one', () => {
    expect(deleteRule(job('failed', { rolledBack: false, writesStarted: true }), true)).toBe('allowed');
    expect(deleteRule(job('processing'), true)).toBe('running');
  });
});
