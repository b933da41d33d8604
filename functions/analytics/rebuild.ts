/**
 * Regenerating a user's analytics: when an import ends having changed data (completed with
 * writes, undone, rolled back after writing) or when asked (POST /analytics/rebuild), every
 * transaction of the user is read (16 shards) and the monthly figures are computed again and
 * published as a new generation. Recomputing from the data, never adjusting the old figures,
 * makes it idempotent: an event delivered twice, or two imports ending close together, give the
 * figures of the data as it is.
 */
import { EntityStore } from '../entities/entity-store';
import { userPartitions } from '../entities/entity-tables';
import { Logger } from '../shared/logger';
import { AnalyticsBuilder } from './aggregate';
import { AnalyticsStore } from './analytics-store';

export interface RebuildDeps {
  entities: EntityStore;
  analytics: AnalyticsStore;
  logger: Logger;
}

export const REBUILD_DETAIL_TYPE = 'Analytics Rebuild Requested';

/** Account and category names kept with the figures, at most this many of each. */
export const MAX_NAMES = 2000;

/** Whether an event means the user's transactions may have changed. */
export function changesData(detailType: string, detail: Record<string, unknown>): boolean {
  if (detailType === REBUILD_DETAIL_TYPE || detailType === 'Import Undone') return true;
  if (detailType === 'Import Completed') {
    const counts = (detail.counts ?? {}) as Record<string, { created?: number; updated?: number; deleted?: number }>;
    return Object.values(counts).some((c) => (c?.created ?? 0) + (c?.updated ?? 0) + (c?.deleted ?? 0) > 0);
  }
  if (detailType === 'Import Failed' || detailType === 'Import Canceled') {
    const r = detail.rollbackResults as { restored?: number; deleted?: number } | null | undefined;
    // written, then put back (the figures were never built from it, but a rebuild costs little and
    // is right whatever ran in between), or not put back completely
    return detail.rolledBack === false || (r?.restored ?? 0) + (r?.deleted ?? 0) > 0;
  }
  return false;
}

export async function rebuildAnalytics(userId: string, deps: RebuildDeps): Promise<{ generation: number; months: number; transactionsRead: number; current: boolean }> {
  const started = Date.now();
  const generation = await deps.analytics.request(userId);
  const currency = new Map<string, string>();
  // names to label the figures with (bounded: a name is a label, not data)
  const names: { accounts: Record<string, string>; categories: Record<string, string> } = { accounts: {}, categories: {} };
  const label = (v: unknown) => (typeof v === 'string' ? v.slice(0, 120) : undefined);
  for await (const page of deps.entities.itemsOf('accounts', userId)) {
    for (const a of page) {
      const id = String(a.accountId ?? a.sk);
      if (typeof a.currency === 'string') currency.set(id, a.currency);
      if (label(a.accountName) !== undefined && Object.keys(names.accounts).length < MAX_NAMES) names.accounts[id] = label(a.accountName)!;
    }
  }
  for await (const page of deps.entities.itemsOf('categories', userId)) {
    for (const c of page) if (label(c.name) !== undefined && Object.keys(names.categories).length < MAX_NAMES) names.categories[String(c.categoryId ?? c.sk)] = label(c.name)!;
  }
  const builder = new AnalyticsBuilder((id) => currency.get(id));
  let transactionsRead = 0;
  for (const partition of userPartitions('transactions', userId)) {
    for await (const page of deps.entities.itemsOf('transactions', partition)) {
      for (const t of page) builder.add(t);
      transactionsRead += page.length;
    }
  }
  const months = builder.result();
  const current = await deps.analytics.publish(userId, generation, months, builder.skipped, names);
  deps.logger.info('analytics rebuilt', { generation, months: months.length, transactionsRead, skipped: builder.skipped, current, durationMs: Date.now() - started });
  return { generation, months: months.length, transactionsRead, current };
}
