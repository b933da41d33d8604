/** The import job: its statuses, the legal transitions between them, and its public view. */

export const JOB_STATUSES = [
  'uploaded',
  'validating',
  'validation_passed',
  'validation_failed',
  'processing',
  'completed',
  'failed',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const MERGE_STRATEGIES = ['fail_on_conflict', 'overwrite', 'skip_existing'] as const;
export type MergeStrategy = (typeof MERGE_STRATEGIES)[number];

export const PACKAGE_FORMATS = ['fzip', 'json'] as const;
export type JobPackageFormat = (typeof PACKAGE_FORMATS)[number];

/** to-status -> the statuses it may be entered from. */
export const ALLOWED_FROM: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  uploaded: [],
  validating: ['uploaded'],
  validation_passed: ['validating'],
  validation_failed: ['validating'],
  processing: ['validation_passed'],
  completed: ['processing'],
  failed: ['uploaded', 'validating', 'validation_passed', 'processing'],
};

/** Statuses during which a workflow execution is (or may be) running. */
export const RUNNING_STATUSES: readonly JobStatus[] = ['validating', 'processing'];
/** Statuses after which nothing more happens to the job. */
export const TERMINAL_STATUSES: readonly JobStatus[] = ['validation_failed', 'completed', 'failed'];

export function isFinished(job: Pick<ImportJob, 'status' | 'validateOnly'>): boolean {
  return TERMINAL_STATUSES.includes(job.status) || (job.status === 'validation_passed' && job.validateOnly);
}

export interface ImportJob {
  importId: string;
  userId: string;
  status: JobStatus;
  mergeStrategy: MergeStrategy;
  validateOnly: boolean;
  packageFormat: JobPackageFormat;
  /** Epoch ms: when the job was created (the package is expected from then on). */
  uploadedAt: number;
  updatedAt: number;
  completedAt?: number;
  packageSize?: number;
  packageS3Key: string;
  progress: number;
  currentPhase?: string;
  validationResults?: Record<string, unknown>;
  importResults?: Record<string, unknown>;
  errorMessage?: string;
  executionArn?: string;
  /** Epoch seconds: the table's TTL attribute. */
  expiresAt: number;
  version: number;
}

/** What the API returns for a job (everything but internal bookkeeping). */
export function jobView(job: ImportJob): Record<string, unknown> {
  return {
    importId: job.importId,
    status: job.status,
    mergeStrategy: job.mergeStrategy,
    validateOnly: job.validateOnly,
    packageFormat: job.packageFormat,
    progress: job.progress,
    currentPhase: job.currentPhase ?? null,
    uploadedAt: job.uploadedAt,
    completedAt: job.completedAt ?? null,
    packageSize: job.packageSize ?? null,
    validationResults: job.validationResults ?? null,
    importResults: job.importResults ?? null,
    errorMessage: job.errorMessage ?? null,
    executionArn: job.executionArn ?? null,
    expiresAt: job.expiresAt,
  };
}

/** The list view: a job's summary without the (possibly large) results. */
export function jobSummary(job: ImportJob): Record<string, unknown> {
  const { validationResults: _v, importResults: _i, ...rest } = jobView(job);
  return rest;
}
