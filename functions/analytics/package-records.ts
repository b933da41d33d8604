/**
 * The analytics as records of a package's data/analytics.json(.gz) (functions/fzip/schemas/
 * analytics.schema.json), in housef3's AnalyticsData shape: per month and account a `cash_flow`
 * record, per month and currency a `category_trends` record. A package carries them for people
 * and tools that read backups; an import never trusts them (it recomputes its own).
 */
import { PlainRecord } from '../fzip/normalize';
import { MonthAnalytics } from './aggregate';
import { AnalyticsStore } from './analytics-store';

export function analyticsPackageRecords(userId: string, months: readonly MonthAnalytics[], builtAt?: number): PlainRecord[] {
  const computedDate = new Date(builtAt ?? Date.now()).toISOString();
  const out: PlainRecord[] = [];
  for (const m of months) {
    for (const [accountId, a] of Object.entries(m.accounts)) {
      out.push({ userId, analyticType: 'cash_flow', timePeriod: m.month, accountId, data: { currency: m.currency, ...a }, computedDate });
    }
    out.push({ userId, analyticType: 'category_trends', timePeriod: m.month, accountId: null, data: { currency: m.currency, categories: m.categories }, computedDate });
  }
  return out;
}

/** The user's current figures as package records; none when they were never built. */
export async function currentAnalyticsRecords(userId: string, store: AnalyticsStore | undefined): Promise<PlainRecord[]> {
  if (!store) return [];
  const status = await store.status(userId);
  if (status.current === undefined) return [];
  return analyticsPackageRecords(userId, await store.generationMonths(userId, status.current), status.builtAt);
}
