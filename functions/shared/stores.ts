/** The job and package stores as configured by the Lambda environment. */
import { JobStore } from '../jobs/job-store';
import { ENV } from './env-names';
import { PackageStore } from '../jobs/package-store';
import { ExportStore } from '../jobs/export-store';
import { int, jobsConfig } from './config';
import { documentClient, eventBridgeClient, s3Client } from './aws-clients';
import { EventBridgePublisher, ImportEventPublisher } from '../jobs/import-events';
import { AnalyticsStore } from '../analytics/analytics-store';

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

/** The export table (EXPORTS_TABLE); exports are kept EXPORT_RETENTION_DAYS (default 2) after they end. */
export function exportStoreFromEnv(): ExportStore {
  const table = process.env[ENV.exportsTable];
  if (!table) throw new Error('environment variable EXPORTS_TABLE is required');
  return new ExportStore(documentClient(), {
    tableName: table,
    retentionDays: int('EXPORT_RETENTION_DAYS', 2, 1),
    maxUnfinishedPerUser: int('MAX_UNFINISHED_EXPORTS', 2, 1),
  });
}

/** The import-end event publisher, when the stack has a bus (EVENT_BUS_NAME). */
export function eventPublisherFromEnv(): ImportEventPublisher | undefined {
  const bus = process.env[ENV.eventBusName];
  return bus ? new EventBridgePublisher(eventBridgeClient(), bus) : undefined;
}

/** Analytics per user (ANALYTICS_TABLE); undefined where the stack has none. */
export function analyticsStoreFromEnv(): AnalyticsStore | undefined {
  const table = process.env[ENV.analyticsTable];
  return table ? new AnalyticsStore(documentClient(), table) : undefined;
}
