/**
 * Starts an import once its package is in S3: used by the S3 ObjectCreated starter and by
 * POST /import/{id}/upload alike, so both paths (and duplicate S3 events) give one execution.
 */
import { ImportJob } from './job';
import { JobStore } from './job-store';
import { JobConflictError, JobNotFoundError } from './errors';
import { PackageStore } from './package-store';
import { WorkflowStarter } from './workflow-starter';

export interface StartDeps {
  jobs: JobStore;
  packages: PackageStore;
  workflow: WorkflowStarter;
  maxPackageBytes: number;
}

export type StartOutcome =
  | { outcome: 'started'; job: ImportJob }
  | { outcome: 'already_started'; job: ImportJob }
  | { outcome: 'rejected_too_large'; job: ImportJob };

/**
 * @param userId the caller (API) — a job of another user is "not found"; undefined for the
 *   S3 event path, where the key itself names the owner and is checked by the caller.
 */
export async function startImport(importId: string, userId: string | undefined, deps: StartDeps): Promise<StartOutcome> {
  const job = userId === undefined ? await deps.jobs.get(importId) : await deps.jobs.getOwned(importId, userId);
  if (!job) throw new JobNotFoundError(importId);

  // validating without an executionArn: an earlier start claimed the job but StartExecution
  // failed or was lost. Starting again is safe: the execution name makes it idempotent.
  const resumable = job.status === 'validating' && !job.executionArn;
  if (job.status !== 'uploaded' && !resumable) {
    return { outcome: 'already_started', job };
  }
  const size = await deps.packages.packageSize(job.packageS3Key);
  if (size === undefined) throw new JobConflictError(`no package has been uploaded for import ${importId} yet`);

  if (job.status === 'uploaded') {
    if (size > deps.maxPackageBytes) {
      const failed = await deps.jobs.transition(importId, 'failed', {
        packageSize: size,
        errorMessage: `the package is ${size} bytes; the limit is ${deps.maxPackageBytes} bytes`,
        currentPhase: 'rejected',
      });
      return { outcome: 'rejected_too_large', job: failed };
    }
    await deps.jobs.transition(importId, 'validating', { packageSize: size, currentPhase: 'starting', progress: 0 });
  }
  const executionArn = await deps.workflow.start({
    importId,
    userId: job.userId,
    bucket: deps.packages.bucket,
    packageKey: job.packageS3Key,
  });
  try {
    await deps.jobs.updateIn(importId, 'validating', { executionArn });
  } catch {
    // The execution already moved the job on; its ARN is derivable from the import id anyway.
  }
  return { outcome: 'started', job: (await deps.jobs.get(importId)) as ImportJob };
}
