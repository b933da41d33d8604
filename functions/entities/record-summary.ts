/**
 * A record as a person knows it, for the preview's conflict list: a transaction by its date,
 * description, account and amount with currency; an account by its name; a category by its name
 * and parent; a file map by its name; a statement file by its file name. Short strings only
 * (each cut to MAX_TEXT), so a listing stays small whatever the record holds.
 */
import { ENTITIES, EntityKind } from '../fzip/entities';

export interface RecordSummary {
  /** The record's name, or a transaction's description. */
  title: string;
  /** Transactions: the day (YYYY-MM-DD, UTC) of the record's date. */
  date?: string;
  /** Transactions: the amount as written, a decimal string. */
  amount?: string;
  currency?: string;
  /** Transactions: the account's name (its id when the name is not known). */
  account?: string;
  /** Categories: the parent's name (its id when not known). */
  parent?: string;
  /** Accounts: institution and type, to tell accounts of the same name apart. */
  detail?: string;
}

export const MAX_TEXT = 120;

/** Names of accounts and categories by id, for the references a summary shows. */
export type NameOf = (kind: 'accounts' | 'categories', id: string) => string | undefined;

function text(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'bigint' ? String(v) : typeof v === 'object' && 'toString' in v ? String(v) : undefined;
  if (s === undefined) return undefined;
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT - 1)}…` : s;
}

function day(v: unknown): string | undefined {
  const ms = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : typeof v === 'object' && v !== null ? Number(String(v)) : NaN;
  if (!Number.isFinite(ms)) return undefined;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString().slice(0, 10);
}

/** The summary of one record (the package's or the user's item: both carry the format's field names). */
export function summarize(kind: EntityKind, record: Record<string, unknown>, nameOf: NameOf = () => undefined): RecordSummary {
  const title = text(record[ENTITIES[kind].titleField]);
  switch (kind) {
    case 'accounts': {
      const detail = [text(record.institution), text(record.accountType)].filter(Boolean).join(' · ');
      return { title: title || '(no name)', ...(text(record.currency) ? { currency: text(record.currency) } : {}), ...(detail ? { detail } : {}) };
    }
    case 'categories': {
      const parentId = text(record.parentCategoryId);
      return { title: title || '(no name)', ...(parentId ? { parent: nameOf('categories', parentId) ?? parentId } : {}) };
    }
    case 'transactions': {
      const accountId = text(record.accountId);
      const out: RecordSummary = { title: title ?? '' };
      const date = day(record.date);
      if (date) out.date = date;
      const amount = text(record.amount);
      if (amount) out.amount = amount;
      const currency = text(record.currency);
      if (currency) out.currency = currency;
      if (accountId) out.account = nameOf('accounts', accountId) ?? accountId;
      return out;
    }
    default:
      return { title: title || '(no name)' };
  }
}

/** Names seen while staging (the package's accounts and categories, read before transactions), bounded. */
export class NameBook {
  private readonly names = { accounts: new Map<string, { name: string; seq: number }>(), categories: new Map<string, { name: string; seq: number }>() };
  /** How many names were noted: a reader can ask for the names as they were at a point. */
  private seq = 0;

  constructor(private readonly max = 100_000) {}

  /** Notes a record's name; `keep`: a name already known (the package's) stays. */
  note(kind: EntityKind, record: Record<string, unknown>, keep = false): void {
    if (kind !== 'accounts' && kind !== 'categories') return;
    const map = this.names[kind];
    if (map.size >= this.max) return;
    if (keep && map.has(String(kind === 'accounts' ? record.accountId : record.categoryId))) return;
    const id = text(kind === 'accounts' ? record.accountId : record.categoryId);
    const name = text(kind === 'accounts' ? record.accountName : record.name);
    if (id && name) map.set(id, { name, seq: ++this.seq });
  }

  readonly nameOf: NameOf = (kind, id) => this.names[kind].get(id)?.name;

  /** A point in the noting, and the names as they were at it (what a chunk written later must see, whatever was noted since). */
  get noted(): number {
    return this.seq;
  }

  nameAsOf(point: number): NameOf {
    return (kind, id) => {
      const e = this.names[kind].get(id);
      return e && e.seq <= point ? e.name : undefined;
    };
  }
}
