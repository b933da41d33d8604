/** The job and package stores as configured by the Lambda environment. */
import { JobStore } from '../jobs/job-store';
import { PackageStore } from '../jobs/package-store';
import { jobsConfig } from './config';
import { documentClient, s3Client } from './aws-clients';

export function jobStoreFromEnv(): JobStore {
  const cfg = jobsConfig();
  return new JobStore(documentClient(), {
    tableName: cfg.jobsTable,
    retentionDays: cfg.jobRetentionDays,
    pendingTtlSeconds: cfg.pendingJobTtlSeconds,
    maxUnfinishedJobsPerUser: cfg.maxUnfinishedJobsPerUser,
  });
}

export function packageStoreFromEnv(): PackageStore {
  return new PackageStore(s3Client(), jobsConfig().packagesBucket);
}
