/**
 * Starter Lambda: S3 ObjectCreated on uploads/ -> startImport. S3 events are at-least-once
 * and may come late or twice; startImport makes duplicates no-ops. Uploads that do not belong
 * to a job of the key's user are logged and ignored.
 */
import type { Context, S3Event } from 'aws-lambda';
import { parsePackageKey } from '../jobs/package-store';
import { jobStoreFromEnv, packageStoreFromEnv, eventPublisherFromEnv } from '../shared/stores';
import { startImport } from '../jobs/import-queue';
import { SfnWorkflowStarter } from '../jobs/workflow-starter';
import { JobNotFoundError } from '../jobs/errors';
import { jobsConfig, stateMachineArn } from '../shared/config';
import { sfnClient } from '../shared/aws-clients';
import { Logger, errorFields } from '../shared/logger';

export interface S3UploadRecord {
  bucket: string;
  key: string;
}

/** Bucket and (URL-decoded) key of each record; S3 encodes keys in events, s3rver does not. */
export function uploadsOf(event: S3Event): S3UploadRecord[] {
  return (event.Records ?? []).map((r) => {
    const raw = r.s3.object.key;
    let key: string;
    try {
      key = decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      key = raw;
    }
    return { bucket: r.s3.bucket.name, key };
  });
}

const logger = new Logger('fzip-start');

export async function handleUploads(records: S3UploadRecord[], deps: Parameters<typeof startImport>[2], bucket: string, log = logger): Promise<void> {
  for (const rec of records) {
    const parsed = parsePackageKey(rec.key);
    if (rec.bucket !== bucket || !parsed) {
      log.warn('upload ignored: not a package key', { bucket: rec.bucket, key: rec.key.slice(0, 200) });
      continue;
    }
    const job = await deps.jobs.get(parsed.importId);
    if (!job || job.userId !== parsed.userId) {
      log.warn('upload ignored: no such import for this user', { importId: parsed.importId });
      continue;
    }
    try {
      const out = await startImport(parsed.importId, parsed.userId, deps);
      log.info('upload handled', { importId: parsed.importId, outcome: out.outcome, status: out.job.status });
    } catch (err) {
      if (err instanceof JobNotFoundError) {
        log.warn('upload ignored: import was deleted', { importId: parsed.importId });
        continue;
      }
      log.error('start failed', { importId: parsed.importId, ...errorFields(err) });
      throw err; // let Lambda's async retry deliver it again
    }
  }
}

export async function handler(event: S3Event, context?: Context): Promise<void> {
  logger.withLambdaContext(context);
  const cfg = jobsConfig();
  await handleUploads(
    uploadsOf(event),
    {
      jobs: jobStoreFromEnv(),
      packages: packageStoreFromEnv(),
      workflow: new SfnWorkflowStarter(sfnClient(), stateMachineArn()),
      maxPackageBytes: cfg.maxPackageBytes,
      events: eventPublisherFromEnv(),
    },
    cfg.packagesBucket,
  );
}
