/**
 * Regenerating a user's analytics: when an import ends having changed data (completed with
 * writes, undone, rolled back after writing) the months it touched are computed again from their
 * transactions; when asked (POST /analytics/rebuild), or when the figures before are not known to
 * be complete, every transaction of the user is read (16 shards). Either way the figures are
 * published as a new generation. Recomputing from the data, never adjusting the old figures,
 * makes it idempotent: an event delivered twice, or two imports ending close together, give the
 * figures of the data as it is.
 */
import { EntityStore } from '../entities/entity-store';
import { userPartitions } from '../entities/entity-tables';
import { Logger } from '../shared/logger';
import { AnalyticsBuilder, MonthAnalytics } from './aggregate';
import { MAX_TOUCHED_MONTHS } from '../jobs/work-ledger';
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

/**
 * The months a completed import changed, when recomputing them alone gives the figures of the
 * whole data; undefined when everything must be recomputed: a rebuild asked for, an undo or a
 * rollback, months not known (too many, or not recorded), or accounts changed or removed (an
 * account's currency applies to its transactions in every month).
 */
export function touchedMonths(detailType: string, detail: Record<string, unknown>): string[] | undefined {
  // An undo or a rollback may put back what earlier imports held (through the undo ledger) and
  // parts of a chunk whose months were not recorded yet: only a completed import's months are
  // known to be all the months it changed.
  if (detailType !== 'Import Completed') return undefined;
  const months = detail.months;
  if (!Array.isArray(months) || months.length > MAX_TOUCHED_MONTHS || !months.every((m) => typeof m === 'string' && MONTH.test(m))) return undefined;
  const accounts = ((detail.counts ?? {}) as Record<string, { updated?: number; deleted?: number } | undefined>).accounts;
  if ((accounts?.updated ?? 0) + (accounts?.deleted ?? 0) > 0) return undefined;
  return [...new Set(months as string[])].sort();
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

export interface RebuildResult {
  generation: number;
  /** Months in the published figures, and how many were computed from transactions (the rest carried over). */
  months: number;
  recomputedMonths: number;
  transactionsRead: number;
  current: boolean;
  incremental: boolean;
}

/**
 * Recomputes a user's analytics as a new generation: every month, or only `months` when the
 * figures just before this request are current (then the other months are carried over from
 * them, and only the given months' transactions are read, through the index by date). When
 * another build is pending or a build was lost, the base is not known to be complete: everything
 * is recomputed.
 */
export async function rebuildAnalytics(userId: string, deps: RebuildDeps, months?: readonly string[]): Promise<RebuildResult> {
  const started = Date.now();
  const generation = await deps.analytics.request(userId);
  const status = months ? await deps.analytics.status(userId) : undefined;
  const incremental = months !== undefined && status?.current === generation - 1;
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
  let carried: MonthAnalytics[] = [];
  let skippedByMonth: Record<string, number>;
  if (incremental) {
    const scope = new Set(months);
    carried = (await deps.analytics.generationMonths(userId, status!.current!)).filter((m) => !scope.has(m.month));
    for (const [from, to] of monthRanges(months!)) {
      for await (const page of deps.entities.transactionsDated(userId, from, to)) {
        for (const t of page) builder.add(t);
        transactionsRead += page.length;
      }
    }
    skippedByMonth = Object.fromEntries(Object.entries(status!.skippedByMonth ?? {}).filter(([m]) => !scope.has(m)));
    for (const [m, n] of Object.entries(builder.skippedByMonth)) skippedByMonth[m] = (skippedByMonth[m] ?? 0) + n;
  } else {
    for (const partition of userPartitions('transactions', userId)) {
      for await (const page of deps.entities.itemsOf('transactions', partition)) {
        for (const t of page) builder.add(t);
        transactionsRead += page.length;
      }
    }
    skippedByMonth = builder.skippedByMonth;
  }
  const recomputed = builder.result();
  const all = [...carried, ...recomputed].sort((a, b) => (a.month === b.month ? a.currency.localeCompare(b.currency) : a.month.localeCompare(b.month)));
  const current = await deps.analytics.publish(userId, generation, all, skippedByMonth, names);
  const result = { generation, months: all.length, recomputedMonths: incremental ? months!.length : new Set(all.map((m) => m.month)).size, transactionsRead, current, incremental };
  deps.logger.info('analytics rebuilt', { ...result, skipped: builder.skipped, durationMs: Date.now() - started });
  return result;
}

/** Consecutive months merged into [first ms, last ms] ranges (UTC), one index query each. */
export function monthRanges(months: readonly string[]): Array<[number, number]> {
  const starts = [...new Set(months)].sort().map((m) => monthStart(Number(m.slice(0, 4)), Number(m.slice(5, 7)) - 1));
  const ranges: Array<[number, number]> = [];
  for (const start of starts) {
    const end = nextMonth(start) - 1;
    const last = ranges[ranges.length - 1];
    if (last && last[1] + 1 === start) last[1] = end;
    else ranges.push([start, end]);
  }
  return ranges;
}

function nextMonth(ms: number): number {
  const d = new Date(ms);
  return monthStart(d.getUTCFullYear(), d.getUTCMonth() + 1);
}

/** Epoch ms of the first day of a month (UTC); years below 100 too (Date.UTC reads 0–99 as 1900–1999). */
function monthStart(year: number, month: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month, 1);
  return d.getTime();
}
