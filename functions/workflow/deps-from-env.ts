/** Builds the workflow's dependencies from the Lambda environment (once per container). */
import { analyticsStoreFromEnv, exportStoreFromEnv, jobStoreFromEnv } from '../shared/stores';
import { ENV } from '../shared/env-names';
import { ExportDeps } from './export-phase';
import { EntityStore } from '../entities/entity-store';
import { entityTableNamesFromEnv } from '../entities/entity-tables';
import { documentClient, s3Client } from '../shared/aws-clients';
import { jobsConfig } from '../shared/config';
import { tuningFromEnv } from '../shared/import-tuning';
import { Logger } from '../shared/logger';
import { WorkflowDeps } from './context';

let deps: WorkflowDeps | undefined;

export function workflowDepsFromEnv(): WorkflowDeps {
  if (deps) return deps;
  const cfg = jobsConfig();
  const tuning = tuningFromEnv();
  const filesBucket = process.env[ENV.filesBucket];
  if (!filesBucket) throw new Error('environment variable FILES_BUCKET is required');
  deps = {
    jobs: jobStoreFromEnv(),
    s3: s3Client(),
    entities: new EntityStore(documentClient(), entityTableNamesFromEnv()),
    filesBucket,
    limits: { maxPackageBytes: cfg.maxPackageBytes },
    logger: new Logger('fzip-import'),
    chunkSize: tuning.chunkRecords,
    chunkBytes: tuning.chunkBytes,
    mapConcurrency: tuning.mapConcurrency,
  };
  return deps;
}

let exportDeps: ExportDeps | undefined;

/** The export workflow's dependencies from the Lambda environment (once per container). */
export function exportDepsFromEnv(): ExportDeps {
  if (exportDeps) return exportDeps;
  const filesBucket = process.env[ENV.filesBucket];
  if (!filesBucket) throw new Error('environment variable FILES_BUCKET is required');
  exportDeps = {
    exports: exportStoreFromEnv(),
    entities: new EntityStore(documentClient(), entityTableNamesFromEnv()),
    s3: s3Client(),
    packagesBucket: jobsConfig().packagesBucket,
    filesBucket,
    analytics: analyticsStoreFromEnv(),
    logger: new Logger('fzip-export'),
  };
  return exportDeps;
}
