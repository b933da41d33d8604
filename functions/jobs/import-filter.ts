/**
 * Selective import: `filter` of POST /import. Transactions are imported when they match
 * (`accountIds`, and `dateFrom`..`dateTo` inclusive on the transaction's `date`, UTC days), with
 * the accounts, categories (and their ancestors), transaction files and file maps they need;
 * `kinds` leaves whole kinds out (e.g. only categories).
 */
import { ENTITY_KINDS, EntityKind } from '../fzip/entities';
import { PlainRecord } from '../fzip/normalize';

export interface ImportFilter {
  accountIds?: string[];
  /** YYYY-MM-DD, inclusive. */
  dateFrom?: string;
  dateTo?: string;
  kinds?: EntityKind[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

function dayStart(text: string): number | undefined {
  const m = DAY.exec(text);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(ms).toISOString().slice(0, 10) === text ? ms : undefined;
}

/** Problems with a filter as a client sent it: [{field, message}] (empty when it is fine). */
export function filterProblems(value: unknown): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [{ field: 'filter', message: 'must be an object' }];
  const f = value as Record<string, unknown>;
  for (const k of Object.keys(f)) if (!['accountIds', 'dateFrom', 'dateTo', 'kinds'].includes(k)) out.push({ field: `filter.${k}`, message: 'is not a known field' });
  if (f.accountIds !== undefined) {
    if (!Array.isArray(f.accountIds) || f.accountIds.length === 0 || f.accountIds.length > 1000) out.push({ field: 'filter.accountIds', message: 'must be a list of 1 to 1000 account ids' });
    else f.accountIds.forEach((a, i) => typeof a === 'string' && UUID.test(a) ? undefined : out.push({ field: `filter.accountIds[${i}]`, message: 'must be an account id (a lower-case UUID)' }));
  }
  for (const k of ['dateFrom', 'dateTo'] as const) {
    if (f[k] !== undefined && (typeof f[k] !== 'string' || dayStart(f[k] as string) === undefined)) out.push({ field: `filter.${k}`, message: 'must be a date YYYY-MM-DD' });
  }
  if (typeof f.dateFrom === 'string' && typeof f.dateTo === 'string' && (dayStart(f.dateFrom) ?? 0) > (dayStart(f.dateTo) ?? 0)) {
    out.push({ field: 'filter.dateTo', message: 'must not be before dateFrom' });
  }
  if (f.kinds !== undefined) {
    if (!Array.isArray(f.kinds) || f.kinds.length === 0 || f.kinds.some((k) => !ENTITY_KINDS.includes(k as EntityKind)) || new Set(f.kinds).size !== f.kinds.length) {
      out.push({ field: 'filter.kinds', message: `must be a non-empty list of distinct kinds among ${ENTITY_KINDS.join(', ')}` });
    }
  }
  return out;
}

/** Whether the filter restricts transactions (and so the reference records imported with them). */
/**
 * What a replace import may delete: the kinds it replaces, and which of the user's transactions.
 * Whole package: everything. A filter by account or date: only the transactions it selects (a
 * reference record may serve transactions outside the selection). A filter by kinds only: those kinds.
 */
export function replaceScope(filter: ImportFilter | undefined): { kinds: EntityKind[]; transactions: (t: PlainRecord) => boolean } {
  if (!filter) return { kinds: [...ENTITY_KINDS], transactions: () => true };
  if (filtersTransactions(filter)) {
    return { kinds: !filter.kinds || filter.kinds.includes('transactions') ? ['transactions'] : [], transactions: transactionMatcher(filter) };
  }
  return { kinds: filter.kinds ?? [...ENTITY_KINDS], transactions: () => true };
}

export function filtersTransactions(filter: ImportFilter | undefined): boolean {
  return !!filter && (filter.accountIds !== undefined || filter.dateFrom !== undefined || filter.dateTo !== undefined);
}

/** A transaction matcher for the filter. */
export function transactionMatcher(filter: ImportFilter | undefined): (t: PlainRecord) => boolean {
  if (!filtersTransactions(filter)) return () => true;
  const accounts = filter?.accountIds ? new Set(filter.accountIds) : undefined;
  const from = filter?.dateFrom ? (dayStart(filter.dateFrom) as number) : -Infinity;
  const to = filter?.dateTo ? (dayStart(filter.dateTo) as number) + 86_400_000 - 1 : Infinity;
  return (t) => (!accounts || accounts.has(t.accountId as string)) && typeof t.date === 'number' && t.date >= from && t.date <= to;
}

export function includedKinds(filter: ImportFilter | undefined): EntityKind[] {
  return filter?.kinds ? ENTITY_KINDS.filter((k) => filter.kinds!.includes(k)) : [...ENTITY_KINDS];
}
