/**
 * Field-level comparison of an incoming package record with the item a user already has: what
 * the preview lists as a conflict, and what makes an item "unchanged" (never rewritten).
 *
 * Rules: our own attributes (pk, sk, importId, userId, and a transaction file's storage key
 * s3Key) are not compared; money fields — including a rule's amountMin/amountMax — compare as
 * decimals ("10.5" equals "10.50"); transactionHash as its digits; everything else by value
 * (objects key by key whatever the order, arrays element by element). A field present on one
 * side only is a difference.
 */
import { isDeepStrictEqual } from 'node:util';
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { EntityKind, FILE_KIND } from '../fzip/entities';
import { canonicalDecimal } from '../fzip/money';
import { MONEY_FIELDS, PlainRecord } from '../fzip/normalize';

const OURS = new Set(['pk', 'sk', 'importId', 'userId']);

export interface FieldDifference {
  field: string;
  current: unknown;
  incoming: unknown;
}

function ignored(kind: EntityKind, field: string): boolean {
  return OURS.has(field) || (kind === FILE_KIND && field === 's3Key');
}

function money(v: unknown): unknown {
  if (typeof v === 'string' || typeof v === 'number') return canonicalDecimal(v) ?? v;
  if (v instanceof NumberValue) return canonicalDecimal(v.toString()) ?? v.toString();
  return v;
}

/** A value in the form it is compared in. */
function comparable(kind: EntityKind, field: string, v: unknown): unknown {
  if (MONEY_FIELDS[kind].includes(field)) return money(v);
  if (kind === 'transactions' && field === 'transactionHash' && v !== undefined) return String(v instanceof NumberValue ? v.toString() : v);
  if (kind === 'categories' && field === 'rules' && Array.isArray(v)) {
    return v.map((r) => (r && typeof r === 'object' ? { ...r, amountMin: money((r as PlainRecord).amountMin), amountMax: money((r as PlainRecord).amountMax) } : r));
  }
  return normalizeNumbers(v);
}

/** NumberValue (an exact number read back) as its canonical decimal, so it equals the same JS number. */
function normalizeNumbers(v: unknown): unknown {
  if (v instanceof NumberValue) return Number(v.toString());
  if (Array.isArray(v)) return v.map(normalizeNumbers);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalizeNumbers(x)]));
  return v;
}

/** The fields that differ (empty when the item already holds exactly this record). */
export function recordDifferences(kind: EntityKind, incoming: PlainRecord, current: Record<string, unknown>): FieldDifference[] {
  const fields = new Set([...Object.keys(incoming), ...Object.keys(current)]);
  const out: FieldDifference[] = [];
  for (const field of [...fields].sort()) {
    if (ignored(kind, field)) continue;
    const a = current[field];
    const b = incoming[field];
    if (a === undefined && b === undefined) continue;
    if (a === undefined || b === undefined || !isDeepStrictEqual(comparable(kind, field, a), comparable(kind, field, b))) {
      out.push({ field, current: a ?? null, incoming: b ?? null });
    }
  }
  return out;
}

/** A field's value as listed in a conflict: exact, or a clipped JSON text when it is large. */
export function listedValue(v: unknown, max = 2000): unknown {
  const text = JSON.stringify(v instanceof NumberValue ? v.toString() : v, (_k, x) => (x instanceof NumberValue ? x.toString() : x));
  if (text === undefined || text.length <= max) return v instanceof NumberValue ? v.toString() : JSON.parse(text ?? 'null');
  return { truncated: true, json: `${text.slice(0, max)}…` };
}
