/** Cleanup Lambda, run on a schedule (EventBridge): removes expired jobs and their S3 objects. */
import { cleanupExpiredJobs, CleanupResult } from '../jobs/cleanup';
import { jobStoreFromEnv, packageStoreFromEnv } from '../shared/stores';
import { Logger } from '../shared/logger';

export async function handler(): Promise<CleanupResult> {
  return cleanupExpiredJobs({
    jobs: jobStoreFromEnv(),
    packages: packageStoreFromEnv(),
    logger: new Logger('fzip-cleanup'),
  });
}
