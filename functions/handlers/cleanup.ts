/** Cleanup Lambda, run on a schedule (EventBridge): reconciles stuck jobs, removes expired ones and their S3 objects. */
import type { Context } from 'aws-lambda';
import { ENV } from '../shared/env-names';
import { cleanupExpiredExports, cleanupExpiredJobs, CleanupResult } from '../jobs/cleanup';
import { SfnWorkflowStarter } from '../jobs/workflow-starter';
import { exportStoreFromEnv, jobStoreFromEnv, packageStoreFromEnv, eventPublisherFromEnv } from '../shared/stores';
import { jobsConfig, stateMachineArn } from '../shared/config';
import { sfnClient } from '../shared/aws-clients';
import { Logger } from '../shared/logger';

const logger = new Logger('fzip-cleanup');

/** The schedule's event; the local stack sends `{ "afterRestart": true }` once when it starts again. */
interface CleanupEvent {
  afterRestart?: boolean;
}

export async function handler(event?: CleanupEvent | null, context?: Context): Promise<CleanupResult> {
  logger.withLambdaContext(context);
  // after a restart of the local stack: every unfinished job is checked now, and the leases of the dead process cleared
  // only the local stack may say its writers are gone: in AWS a Lambda may outlive its execution
  const opts = event?.afterRestart === true && process.env.FZIP_LOCAL_STACK === '1' ? { staleAfterMs: 0, writersGone: true } : {};
  if (process.env[ENV.exportsTable]) {
    await cleanupExpiredExports({ exports: exportStoreFromEnv(), packages: packageStoreFromEnv(), logger });
  }
  return cleanupExpiredJobs({
    jobs: jobStoreFromEnv(),
    packages: packageStoreFromEnv(),
    workflow: new SfnWorkflowStarter(sfnClient(), stateMachineArn()),
    maxPackageBytes: jobsConfig().maxPackageBytes,
    events: eventPublisherFromEnv(),
    confirmationTtlSeconds: jobsConfig().confirmationTtlSeconds,
    logger,
  }, undefined, undefined, opts);
}
