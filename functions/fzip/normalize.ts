/**
 * From a schema-valid package record to the record we import: export-only decorations and
 * the exporting user's id dropped, money and transactionHash as exact strings. Every other
 * field, known or not, is kept.
 */
import { ENTITIES, EntityKind } from './entities';

export type PlainRecord = Record<string, unknown>;

export const MONEY_FIELDS = Object.fromEntries(Object.values(ENTITIES).map((e) => [e.kind, e.moneyFields])) as Readonly<Record<EntityKind, readonly string[]>>;

function moneyString(v: unknown): unknown {
  return typeof v === 'number' ? String(v) : v;
}

/** Fields dropped per kind, built once (this runs for every record). */
const DROPPED = Object.fromEntries(
  Object.values(ENTITIES).map((e) => [e.kind, new Set<string>([...e.decorations, 'userId'])]),
) as unknown as Record<EntityKind, ReadonlySet<string>>;

/** Whether normalizing changes the record (most records pass through as they are). */
function changes(kind: EntityKind, record: PlainRecord): boolean {
  if (kind === 'categories' || kind === 'fileMaps') return true;
  const drop = DROPPED[kind];
  for (const k in record) if (drop.has(k)) return true;
  for (const f of MONEY_FIELDS[kind]) if (typeof record[f] === 'number') return true;
  return kind === 'transactions' && typeof record.transactionHash === 'number';
}

/** The record to import; the record itself when nothing changes (it is not copied). */
export function normalizeRecord(kind: EntityKind, record: PlainRecord): PlainRecord {
  if (!changes(kind, record)) return record;
  const drop = DROPPED[kind];
  const out: PlainRecord = {};
  for (const k of Object.keys(record)) {
    if (!drop.has(k)) out[k] = record[k];
  }
  for (const f of MONEY_FIELDS[kind]) if (f in out) out[f] = moneyString(out[f]);
  if (kind === 'transactions' && typeof out.transactionHash === 'number') out.transactionHash = String(out.transactionHash);
  if (kind === 'categories' && Array.isArray(out.rules)) {
    out.rules = (out.rules as PlainRecord[]).map((r) => {
      const rule = { ...r };
      if ('amountMin' in rule) rule.amountMin = moneyString(rule.amountMin);
      if ('amountMax' in rule) rule.amountMax = moneyString(rule.amountMax);
      return rule;
    });
  }
  if (kind === 'fileMaps' && Array.isArray(out.mappings)) {
    out.mappings = (out.mappings as PlainRecord[]).map((m) => {
      const { validationInfo: _ignored, ...rest } = m;
      return rest;
    });
  }
  return out;
}
