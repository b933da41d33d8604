/**
 * What a package holds, for a person deciding what to import: its accounts with their
 * transaction counts and date ranges, and transactions per calendar month (UTC) per account,
 * collected while validation streams the records. Bounded whatever the package: at most
 * MAX_ACCOUNTS accounts listed (the rest summed), monthly series for the CHART_ACCOUNTS
 * largest accounts plus one "other accounts" series, and the latest MAX_MONTHS months.
 */
import { EntityKind } from './entities';

export const MAX_ACCOUNTS = 100;
export const CHART_ACCOUNTS = 8;
export const MAX_MONTHS = 240;
/** The series key of the accounts the chart does not draw one by one. */
export const OTHER_ACCOUNTS = 'other';

export interface AccountOverview {
  accountId: string;
  /** The account's name in the package; absent when the package holds no such account. */
  name?: string;
  currency?: string;
  transactions: number;
  /** First and last transaction day (YYYY-MM-DD, UTC). */
  firstDate?: string;
  lastDate?: string;
}

export interface PackageOverview {
  transactions: number;
  firstDate?: string;
  lastDate?: string;
  /** Largest first. */
  accounts: AccountOverview[];
  /** Accounts beyond MAX_ACCOUNTS, and their transactions. */
  moreAccounts: number;
  moreAccountsTransactions: number;
  /** Oldest first: per month, transactions per account id of the chart (or OTHER_ACCOUNTS). */
  months: Array<{ month: string; counts: Record<string, number> }>;
  /** Months before the first listed, and their transactions. */
  earlierMonths: number;
  earlierTransactions: number;
}

interface AccountTally {
  name?: string;
  currency?: string;
  transactions: number;
  first?: number;
  last?: number;
  months: Map<string, number>;
}

function epochMs(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : v !== null && v !== undefined ? Number(String(v)) : NaN;
  return Number.isFinite(n) && !Number.isNaN(new Date(n).getTime()) ? n : undefined;
}

const day = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString().slice(0, 10));

export class OverviewCollector {
  private readonly accounts = new Map<string, AccountTally>();

  private tally(accountId: string): AccountTally {
    let t = this.accounts.get(accountId);
    if (!t) this.accounts.set(accountId, (t = { transactions: 0, months: new Map() }));
    return t;
  }

  /** Notes a valid record. Per-account month counts are kept for every account (a few hundred entries each at most). */
  add(kind: EntityKind, record: Record<string, unknown>): void {
    if (kind === 'accounts' && typeof record.accountId === 'string') {
      const t = this.tally(record.accountId);
      if (typeof record.accountName === 'string') t.name = record.accountName.slice(0, 120);
      if (typeof record.currency === 'string') t.currency = record.currency;
      return;
    }
    if (kind !== 'transactions' || typeof record.accountId !== 'string') return;
    const t = this.tally(record.accountId);
    t.transactions++;
    const ms = epochMs(record.date);
    if (ms === undefined) return;
    if (t.first === undefined || ms < t.first) t.first = ms;
    if (t.last === undefined || ms > t.last) t.last = ms;
    const month = new Date(ms).toISOString().slice(0, 7);
    t.months.set(month, (t.months.get(month) ?? 0) + 1);
  }

  result(): PackageOverview {
    const all = [...this.accounts.entries()]
      .map(([accountId, t]) => ({ accountId, t }))
      .sort((a, b) => b.t.transactions - a.t.transactions || (a.t.name ?? a.accountId).localeCompare(b.t.name ?? b.accountId) || a.accountId.localeCompare(b.accountId));
    const listed = all.slice(0, MAX_ACCOUNTS);
    const rest = all.slice(MAX_ACCOUNTS);
    const charted = new Set(all.slice(0, CHART_ACCOUNTS).filter((a) => a.t.transactions > 0).map((a) => a.accountId));
    const months = new Map<string, Record<string, number>>();
    let first: number | undefined;
    let last: number | undefined;
    let transactions = 0;
    for (const { accountId, t } of all) {
      transactions += t.transactions;
      if (t.first !== undefined && (first === undefined || t.first < first)) first = t.first;
      if (t.last !== undefined && (last === undefined || t.last > last)) last = t.last;
      const series = charted.has(accountId) ? accountId : OTHER_ACCOUNTS;
      for (const [m, n] of t.months) {
        const counts = months.get(m) ?? months.set(m, {}).get(m)!;
        counts[series] = (counts[series] ?? 0) + n;
      }
    }
    const ordered = [...months.entries()].sort(([a], [b]) => a.localeCompare(b));
    const kept = ordered.slice(-MAX_MONTHS);
    const earlier = ordered.slice(0, ordered.length - kept.length);
    return {
      transactions,
      ...(first !== undefined ? { firstDate: day(first), lastDate: day(last) } : {}),
      accounts: listed.map(({ accountId, t }) => ({
        accountId,
        ...(t.name !== undefined ? { name: t.name } : {}),
        ...(t.currency !== undefined ? { currency: t.currency } : {}),
        transactions: t.transactions,
        ...(t.first !== undefined ? { firstDate: day(t.first), lastDate: day(t.last) } : {}),
      })),
      moreAccounts: rest.length,
      moreAccountsTransactions: rest.reduce((a, r) => a + r.t.transactions, 0),
      months: kept.map(([month, counts]) => ({ month, counts })),
      earlierMonths: earlier.length,
      earlierTransactions: earlier.reduce((a, [, c]) => a + Object.values(c).reduce((x, y) => x + y, 0), 0),
    };
  }
}
