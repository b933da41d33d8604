/** What the job item's helpers (leases, the work ledger) share with JobStore. */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ImportJob, JobStatus } from './job';

export interface JobTable {
  doc: DynamoDBDocumentClient;
  table: string;
  now(): number;
  /** TTL (epoch seconds) of a job entering `status`. */
  expiryFor(finished: boolean, status: JobStatus): number;
  get(importId: string): Promise<ImportJob | undefined>;
}
