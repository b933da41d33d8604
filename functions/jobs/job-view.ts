/** The public view of an import job: what the API returns, with the actions its lifecycle allows now. */
import type { ImportFilter } from './import-filter';
import { ImportJob, JobPackageFormat, JobStatus, MergeStrategy, RollbackResults } from './job';
import { JobAction, jobActions } from './lifecycle';
import { KIND_WORDS, transactionsProgress } from './vocabulary';

/**
 * What the API returns for a job (everything but internal bookkeeping; no ARNs, no account ids):
 * the one type the API, the fzip client and the OpenAPI contract test share.
 */
export interface ImportJobView {
  importId: string;
  status: JobStatus;
  mergeStrategy: MergeStrategy;
  validateOnly: boolean;
  packageFormat: JobPackageFormat;
  requireConfirmation: boolean;
  filter: ImportFilter | null;
  packageName: string | null;
  progress: number;
  currentPhase: string | null;
  uploadedAt: number;
  completedAt: number | null;
  packageSize: number | null;
  validationResults: Record<string, unknown> | null;
  importResults: Record<string, unknown> | null;
  errorMessage: string | null;
  rolledBack: boolean | null;
  rollbackResults: RollbackResults | null;
  cancelRequested: boolean;
  executionName: string | null;
  /** Transactions written so far and how many the import writes (null before the transactions phase). */
  recordsDone: number | null;
  recordsTotal: number | null;
  expiresAt: number;
  /** What the caller may ask of it now (the lifecycle's rules). */
  actions: JobAction[];
}

/** The list view: a job's summary without the (possibly large) results. */
export type ImportJobSummary = Omit<ImportJobView, 'validationResults' | 'importResults' | 'rollbackResults'>;

/** The stored progress, or further while transactions are written (counted part by part, not stored as a percentage). */
function progressOf(job: ImportJob): number {
  if (job.status !== 'processing' || job.currentPhase !== KIND_WORDS.transactions.importingPhase || !job.recordsTotal) return job.progress;
  return Math.max(job.progress, transactionsProgress(job.recordsDone ?? 0, job.recordsTotal));
}

export function jobView(job: ImportJob): ImportJobView {
  return {
    importId: job.importId,
    status: job.status,
    mergeStrategy: job.mergeStrategy,
    validateOnly: job.validateOnly,
    packageFormat: job.packageFormat,
    requireConfirmation: job.requireConfirmation ?? false,
    filter: job.filter ?? null,
    packageName: job.packageName ?? null,
    progress: progressOf(job),
    currentPhase: job.currentPhase ?? null,
    uploadedAt: job.uploadedAt,
    completedAt: job.completedAt ?? null,
    packageSize: job.packageSize ?? null,
    validationResults: job.validationResults ?? null,
    importResults: job.importResults ?? null,
    errorMessage: job.errorMessage ?? null,
    rolledBack: job.rolledBack ?? null,
    rollbackResults: job.rollbackResults ?? null,
    cancelRequested: job.cancelRequested ?? false,
    executionName: job.executionName ?? null,
    // a retried part counts again: never shown past the total
    recordsDone: job.recordsDone === undefined ? null : Math.min(job.recordsDone, job.recordsTotal ?? job.recordsDone),
    recordsTotal: job.recordsTotal ?? null,
    expiresAt: job.expiresAt,
    actions: jobActions(job),
  };
}

export function jobSummary(job: ImportJob): ImportJobSummary {
  const { validationResults: _v, importResults: _i, rollbackResults: _r, ...rest } = jobView(job);
  return rest;
}
