/**
 * Pagination cursors: the DynamoDB LastEvaluatedKey (or a position in a list), bound to the user.
 * They are safe without a secret: a cursor only holds keys of the caller's own list, every
 * decode checks that it names the caller and has the expected shape (a few known key names,
 * scalar values), and every query is made for the caller's user id anyway — so a forged cursor
 * can at most start the caller's own list elsewhere. With CURSOR_SECRET set they are also
 * signed (HMAC-SHA256), so a tampered one is refused as invalid.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ApiError } from './http';

/** The names a cursor may hold: the keys of the job and export lists, and a conflicts page position. */
const CURSOR_FIELDS = new Set(['importId', 'exportId', 'userId', 'uploadedAt', 'createdAt', 'k', 'c', 'o', 'i', 'kind']);

/** The key cursors are signed with when CURSOR_SECRET is not set (they are safe without one). */
export const DEFAULT_CURSOR_KEY = 'fzip-import-cursor';

function sign(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

export function encodeCursor(key: Record<string, unknown>, userId: string, secret: string): string {
  const payload = Buffer.from(JSON.stringify({ u: userId, k: key })).toString('base64url');
  return `${payload}.${sign(payload, secret)}`;
}

export function decodeCursor(cursor: string, userId: string, secret: string): Record<string, unknown> {
  const invalid = new ApiError(400, 'INVALID_CURSOR', 'lastEvaluatedKey is not a cursor from a previous page of this list', [
    { field: 'lastEvaluatedKey', message: 'is not valid' },
  ]);
  const [payload, mac] = cursor.split('.');
  if (!payload || !mac || cursor.length > 2048) throw invalid;
  const expected = Buffer.from(sign(payload, secret));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid;
  let parsed: { u?: unknown; k?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (parsed.u !== userId || !parsed.k || typeof parsed.k !== 'object' || Array.isArray(parsed.k)) throw invalid;
  const key = parsed.k as Record<string, unknown>;
  if (key.userId !== userId) throw invalid;
  const entries = Object.entries(key);
  if (entries.length > 10 || entries.some(([k, v]) => !CURSOR_FIELDS.has(k) || !(v === null || typeof v === 'string' || typeof v === 'number'))) throw invalid;
  return key;
}
