/**
 * One EventBridge event when an import ends, for other services (analytics regeneration, say)
 * to react without reading our tables: source `fzip-import`, detail-type by how it ended, detail
 * with the counts per kind, the account ids it touched and the date range of its transactions.
 * Delivery is at least once: the event is sent, then the job notes it (`eventsSent`), so a crash
 * in between sends it again; consumers dedupe on (importId, status).
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ImportJob, isFinished, JobStatus } from './job';
import { JobStore } from './job-store';
import { MAX_TOUCHED_MONTHS } from './work-ledger';

export const EVENT_SOURCE = 'fzip-import';

export const DETAIL_TYPES: Partial<Record<JobStatus, string>> = {
  completed: 'Import Completed',
  failed: 'Import Failed',
  canceled: 'Import Canceled',
  undone: 'Import Undone',
  validation_failed: 'Import Validation Failed',
  validation_passed: 'Import Validated',
  expired: 'Import Expired',
};

export interface ImportEvent {
  source: typeof EVENT_SOURCE;
  detailType: string;
  detail: Record<string, unknown>;
}

export interface ImportEventPublisher {
  publish(event: ImportEvent): Promise<void>;
}

export class EventBridgePublisher implements ImportEventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish(event: ImportEvent): Promise<void> {
    const out = await this.client.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: this.busName, Source: event.source, DetailType: event.detailType, Detail: JSON.stringify(event.detail) }],
      }),
    );
    if (out.FailedEntryCount) throw new Error(`the import event could not be put: ${out.Entries?.[0]?.ErrorCode ?? 'unknown error'}`);
  }
}

/** The months an import's transactions changed, when they are known. */
export function touchedMonthsOf(job: ImportJob): string[] | null {
  if (job.touchedMonthsOverflow || (job.touchedMonths?.length ?? 0) > MAX_TOUCHED_MONTHS) return null;
  if (job.touchedMonths) return [...job.touchedMonths].sort();
  // none recorded: right only if no transaction was written (an import from before months were recorded)
  const t = (job.importResults as Record<string, { created?: number; updated?: number; deleted?: number }> | undefined)?.transactions;
  return (t?.created ?? 0) + (t?.updated ?? 0) + (t?.deleted ?? 0) > 0 ? null : [];
}

/** What the event says: enough to react without reading our tables (no record contents). */
export function importEventDetail(job: ImportJob): Record<string, unknown> {
  return {
    importId: job.importId,
    userId: job.userId,
    status: job.status,
    mergeStrategy: job.mergeStrategy,
    validateOnly: job.validateOnly,
    counts: job.importResults ?? null,
    accountIds: [...(job.touchedAccounts ?? [])].sort().slice(0, 1000),
    dateRange: job.dateFrom !== undefined && job.dateTo !== undefined ? { from: job.dateFrom, to: job.dateTo } : null,
    // the months whose transactions it wrote, overwrote or deleted; null: not known (too many, or
    // an import journaled before months were recorded)
    months: touchedMonthsOf(job),
    rolledBack: job.rolledBack ?? null,
    rollbackResults: job.rollbackResults ?? null,
    errorMessage: job.errorMessage ?? null,
    completedAt: job.completedAt ?? null,
  };
}

/** Sends the job's end event unless it was sent for this status already. */
export async function announceEnd(job: ImportJob, deps: { jobs: JobStore; events?: ImportEventPublisher }): Promise<boolean> {
  if (!deps.events || !isFinished(job)) return false;
  const detailType = DETAIL_TYPES[job.status];
  if (!detailType || (job.eventsSent ?? []).includes(job.status)) return false;
  await deps.events.publish({ source: EVENT_SOURCE, detailType, detail: importEventDetail(job) });
  await deps.jobs.markEventSent(job.importId, job.status);
  return true;
}
