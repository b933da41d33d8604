/** Cleanup Lambda, run on a schedule (EventBridge): reconciles stuck jobs, removes expired ones and their S3 objects. */
import { cleanupExpiredExports, cleanupExpiredJobs, CleanupResult } from '../jobs/cleanup';
import { SfnWorkflowStarter } from '../jobs/workflow-starter';
import { exportStoreFromEnv, jobStoreFromEnv, packageStoreFromEnv, eventPublisherFromEnv } from '../shared/stores';
import { jobsConfig, stateMachineArn } from '../shared/config';
import { sfnClient } from '../shared/aws-clients';
import { Logger } from '../shared/logger';

export async function handler(): Promise<CleanupResult> {
  if (process.env.EXPORTS_TABLE) {
    await cleanupExpiredExports({ exports: exportStoreFromEnv(), packages: packageStoreFromEnv(), logger: new Logger('fzip-cleanup') });
  }
  return cleanupExpiredJobs({
    jobs: jobStoreFromEnv(),
    packages: packageStoreFromEnv(),
    workflow: new SfnWorkflowStarter(sfnClient(), stateMachineArn()),
    maxPackageBytes: jobsConfig().maxPackageBytes,
    events: eventPublisherFromEnv(),
    confirmationTtlSeconds: jobsConfig().confirmationTtlSeconds,
    logger: new Logger('fzip-cleanup'),
  });
}
