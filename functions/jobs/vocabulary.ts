/**
 * The words people see for the domain, written once: entity kinds, job statuses (with their
 * class: waiting for someone, running, finished), the steps of an import and the phase names
 * the workflow reports. The server imports them; the web page gets them as a generated module
 * (web/vocabulary.generated.js, `npm run gen:web`, checked by a test); the CLI imports them.
 */
import { ENTITY_KINDS, EntityKind } from '../fzip/entities';
import { JOB_STATUSES, JobStatus, RUNNING_STATUSES, TERMINAL_STATUSES } from './job';

export interface KindWords {
  /** One record, and several (lower case). */
  one: string;
  many: string;
  /** The phase names the workflow reports while it validates, and while it writes, records of the kind. */
  validatingPhase: `validating_${EntityKind}`;
  importingPhase: string;
  /** Its step of an import (an index into IMPORT_STEPS). */
  step: number;
}

/** What an import goes through, in order, as the page lists it. */
export const IMPORT_STEPS = [
  'Upload',
  'Check the package',
  'Import accounts',
  'Import categories',
  'Import file maps',
  'Import statement files',
  'Import transactions',
  'Finish',
] as const;
export const STEP = { upload: 0, check: 1, finish: 7 } as const;

export const KIND_WORDS: Readonly<Record<EntityKind, KindWords>> = {
  accounts: { one: 'account', many: 'accounts', validatingPhase: 'validating_accounts', importingPhase: 'importing_accounts', step: 2 },
  categories: { one: 'category', many: 'categories', validatingPhase: 'validating_categories', importingPhase: 'importing_categories', step: 3 },
  fileMaps: { one: 'file map', many: 'file maps', validatingPhase: 'validating_fileMaps', importingPhase: 'importing_file_maps', step: 4 },
  transactionFiles: { one: 'statement file', many: 'statement files', validatingPhase: 'validating_transactionFiles', importingPhase: 'importing_transaction_files', step: 5 },
  transactions: { one: 'transaction', many: 'transactions', validatingPhase: 'validating_transactions', importingPhase: 'importing_transactions', step: 6 },
};

/** waiting: for the user or for another import; running: a workflow works on it; finished: nothing more happens on its own. */
export type StatusClass = 'waiting' | 'running' | 'finished';

const STATUS_LABELS: Readonly<Record<JobStatus, string>> = {
  uploaded: 'Waiting for the package',
  queued: 'Waiting for your other import to end',
  validating: 'Checking the package',
  validation_passed: 'Package checked',
  validation_failed: 'Not imported: the package has problems',
  awaiting_confirmation: 'Waiting for your decision',
  expired: 'Expired: not confirmed in time',
  processing: 'Importing',
  canceling: 'Canceling',
  rolling_back: 'Putting back what it wrote',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
  undoing: 'Undoing',
  undone: 'Undone',
};

export const STATUS_WORDS: Readonly<Record<JobStatus, { label: string; class: StatusClass }>> = Object.fromEntries(
  JOB_STATUSES.map((s) => [s, { label: STATUS_LABELS[s], class: TERMINAL_STATUSES.includes(s) ? 'finished' : RUNNING_STATUSES.includes(s) ? 'running' : 'waiting' }]),
) as Record<JobStatus, { label: string; class: StatusClass }>;

/** Phase names the workflow reports (job.currentPhase) and the step each belongs to. */
export const PHASE_STEPS: Readonly<Record<string, number>> = {
  queued: STEP.upload,
  starting: STEP.check,
  validating_package: STEP.check,
  ...Object.fromEntries(ENTITY_KINDS.map((k) => [KIND_WORDS[k].validatingPhase, STEP.check])),
  validation_passed: STEP.check,
  awaiting_confirmation: STEP.check,
  starting_import: KIND_WORDS.accounts.step,
  ...Object.fromEntries(ENTITY_KINDS.map((k) => [KIND_WORDS[k].importingPhase, KIND_WORDS[k].step])),
  completed: STEP.finish,
};

/**
 * Progress (percent) when each kind's import phase starts. The reference kinds are few records;
 * the transactions are most of the work: they move the bar from their start to 99 as they are
 * written (transactionsProgress), which the job view derives from the records written.
 */
export const IMPORT_PROGRESS = Object.fromEntries(ENTITY_KINDS.map((k, i) => [k, 32 + 2 * i])) as Readonly<Record<EntityKind, number>>;

/** The progress of the transactions phase when `done` of `total` transactions are written. */
export function transactionsProgress(done: number, total: number): number {
  const from = IMPORT_PROGRESS.transactions;
  return Math.min(99, Math.round(from + ((99 - from) * Math.min(done, total)) / Math.max(1, total)));
}

/** "1 transaction", "20,000 transactions". */
export function countOf(kind: EntityKind, n: number): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? KIND_WORDS[kind].one : KIND_WORDS[kind].many}`;
}

/** "3 accounts, 1 category, … 20,000 transactions": every kind, in import order. */
export function countsText(counts: Partial<Record<EntityKind, number>>): string {
  return ENTITY_KINDS.map((k) => countOf(k, counts[k] ?? 0)).join(', ');
}
