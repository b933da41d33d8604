/**
 * Removes expired jobs: found through the job table's expiry index (a Query, never a Scan),
 * their package and staging objects deleted first, then the job item. A job that may still be
 * running is never touched; running twice at once is safe (deletes are idempotent, the item
 * delete is conditional). DynamoDB TTL on expiresAt stays as the backstop.
 */
import { isFinished, RUNNING_STATUSES } from './job';
import { JobStore } from './job-store';
import { JobConflictError } from './errors';
import { PackageStore } from './package-store';
import { Logger } from '../shared/logger';

export interface CleanupResult {
  expiredFound: number;
  jobsDeleted: number;
  objectsDeleted: number;
  skippedRunning: number;
}

export async function cleanupExpiredJobs(
  deps: { jobs: JobStore; packages: PackageStore; logger: Logger },
  nowSeconds = Math.floor(Date.now() / 1000),
  pageSize = 100,
): Promise<CleanupResult> {
  const result: CleanupResult = { expiredFound: 0, jobsDeleted: 0, objectsDeleted: 0, skippedRunning: 0 };
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.jobs.listExpired(nowSeconds, pageSize, start);
    start = page.next;
    for (const expired of page.jobs) {
      result.expiredFound++;
      const job = await deps.jobs.get(expired.importId); // the index is eventually consistent
      if (!job) continue;
      if (job.expiresAt > nowSeconds) continue;
      if (RUNNING_STATUSES.includes(job.status) && !isFinished(job)) {
        result.skippedRunning++;
        continue;
      }
      result.objectsDeleted += await deps.packages.deleteImportObjects(job.packageS3Key, job.importId);
      try {
        await deps.jobs.deleteUnlessRunning(job.importId);
        result.jobsDeleted++;
      } catch (err) {
        if (!(err instanceof JobConflictError)) throw err;
        result.skippedRunning++;
      }
    }
  } while (start);
  deps.logger.info('cleanup finished', { ...result });
  return result;
}
