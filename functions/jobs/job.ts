/** The import job: its statuses, the legal transitions between them, and its public view. */
import type { ImportFilter } from './import-filter';

export const JOB_STATUSES = [
  'uploaded',
  'queued',
  'validating',
  'validation_passed',
  'validation_failed',
  'awaiting_confirmation',
  'expired',
  'processing',
  'canceling',
  'rolling_back',
  'completed',
  'failed',
  'canceled',
  'undoing',
  'undone',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** replace: overwrite, and delete the user's records (of the kinds, within the selection) the package does not hold. */
export const MERGE_STRATEGIES = ['fail_on_conflict', 'overwrite', 'skip_existing', 'replace'] as const;
export type MergeStrategy = (typeof MERGE_STRATEGIES)[number];

export const PACKAGE_FORMATS = ['fzip', 'json'] as const;
export type JobPackageFormat = (typeof PACKAGE_FORMATS)[number];

/** to-status -> the statuses it may be entered from. */
export const ALLOWED_FROM: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  uploaded: [],
  // another import of the same user holds the lock; started when it ends
  queued: ['uploaded'],
  validating: ['uploaded', 'queued'],
  validation_passed: ['validating'],
  validation_failed: ['validating'],
  // requireConfirmation: validated and planned, nothing written; waits for confirm, cancel or expiry
  awaiting_confirmation: ['validating'],
  expired: ['awaiting_confirmation'],
  processing: ['validation_passed', 'awaiting_confirmation'],
  // cancel requested while a workflow runs: it stops at its next check and rolls back
  canceling: ['validating', 'validation_passed', 'processing'],
  // undoing this import's writes after a failure or a cancel
  rolling_back: ['validating', 'validation_passed', 'processing', 'canceling'],
  completed: ['processing'],
  failed: ['uploaded', 'queued', 'validating', 'validation_passed', 'awaiting_confirmation', 'processing', 'canceling', 'rolling_back', 'undoing'],
  canceled: ['uploaded', 'queued', 'awaiting_confirmation', 'canceling', 'rolling_back'],
  // undo of a completed import, or a new try at rolling back a failed one that could not be
  undoing: ['completed', 'failed'],
  undone: ['undoing'],
};

/** Statuses during which a workflow execution is (or may be) running: never deleted, never expired. */
export const RUNNING_STATUSES: readonly JobStatus[] = ['validating', 'validation_passed', 'processing', 'canceling', 'rolling_back', 'undoing'];
/** Statuses after which nothing more happens to the job on its own. */
export const TERMINAL_STATUSES: readonly JobStatus[] = ['validation_failed', 'completed', 'failed', 'canceled', 'undone', 'expired'];

export function isFinished(job: Pick<ImportJob, 'status' | 'validateOnly'>): boolean {
  return TERMINAL_STATUSES.includes(job.status) || (job.status === 'validation_passed' && job.validateOnly);
}

/** A workflow may be running for the job (so it cannot be deleted, expired or started again). */
export function isRunning(job: Pick<ImportJob, 'status' | 'validateOnly'>): boolean {
  return RUNNING_STATUSES.includes(job.status) && !isFinished(job);
}

export interface EntityResult {
  created: number;
  updated: number;
  skipped: number;
  /** The user's item already held exactly this record: not rewritten. */
  unchanged: number;
  errors: number;
  /** replace: the user's records the package does not hold, deleted. */
  deleted?: number;
}

export const emptyResult = (): EntityResult => ({ created: 0, updated: 0, skipped: 0, unchanged: 0, errors: 0 });

export interface RollbackResults {
  /** Items and statement files put back to what the user had before the import. */
  restored: number;
  /** Items and statement files the import had created, deleted again. */
  deleted: number;
  /** Changed by something else since the import (another import, the app): left as they are. */
  changedSince: number;
}

export interface ImportJob {
  importId: string;
  userId: string;
  status: JobStatus;
  mergeStrategy: MergeStrategy;
  validateOnly: boolean;
  packageFormat: JobPackageFormat;
  /** Preview: after validation the job waits (awaiting_confirmation) for confirm, cancel or expiry. */
  requireConfirmation?: boolean;
  /** Selective import. */
  filter?: ImportFilter;
  /** The package's file name as the user chose it (for the list), when the client gave it. */
  packageName?: string;
  /** Epoch ms: when the job was created (the package is expected from then on). */
  uploadedAt: number;
  updatedAt: number;
  completedAt?: number;
  packageSize?: number;
  packageS3Key: string;
  /** ETag of the package as validated: later phases read exactly these bytes or fail. */
  packageETag?: string;
  progress: number;
  currentPhase?: string;
  validationResults?: Record<string, unknown>;
  importResults?: Record<string, unknown>;
  errorMessage?: string;
  /** The execution currently (or last) working on the job: internal, never in the public view. */
  executionArn?: string;
  executionName?: string;
  /** How many executions were started for the job (names the next one). */
  executionCount?: number;
  /** Set when the first write phase begins: from then on an abnormal end needs a rollback. */
  writesStarted?: boolean;
  cancelRequested?: boolean;
  /** Why the job is rolling back, and so how it ends. */
  rollbackReason?: 'failed' | 'canceled' | 'undo';
  rollbackAttempts?: number;
  /** Restarts of the local stack that gave the rollback its attempts back (bounded). */
  rollbackRestarts?: number;
  /** After a failure or cancel: whether the import's writes were undone. */
  rolledBack?: boolean;
  rollbackResults?: RollbackResults;
  /** Rollback progress: `{kind index}|{last journal part done}` (steps resume from it). */
  rollbackCursor?: string;
  /** Journal parts the import recorded (per finished chunk) and parts the current rollback went through. */
  journalParts?: number;
  rollbackParts?: number;
  /** Undo asked to leave items changed since (instead of being refused). */
  undoForce?: boolean;
  /** S3 key of the decisions of the confirm request that started the import (absent: none). */
  decisionsKey?: string;
  /** Accounts whose data the import wrote (its accounts and its transactions' accounts). */
  touchedAccounts?: string[];
  /** Epoch ms of the earliest and latest transaction it wrote. */
  dateFrom?: number;
  dateTo?: number;
  /** Months (YYYY-MM, UTC) whose transactions the import wrote, overwrote or deleted (at most MAX_TOUCHED_MONTHS + 1). */
  touchedMonths?: string[];
  /** More months were touched than are recorded: whoever needs them recomputes everything. */
  touchedMonthsOverflow?: boolean;
  /** Statuses whose end event was sent (at least once). */
  eventsSent?: string[];
  /** How many items of earlier imports (by id) this import replaced: undo of those is refused. */
  overwrote?: Record<string, number>;
  /** Transactions written so far, of how many (live progress of the transactions phase). */
  recordsDone?: number;
  recordsTotal?: number;
  /** Epoch seconds: the table's TTL attribute. */
  expiresAt: number;
  version: number;
}

