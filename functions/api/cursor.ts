/**
 * Pagination cursors: the DynamoDB LastEvaluatedKey, bound to the user and signed, so a client
 * can neither read it as a key nor forge one that lists another user's jobs.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ApiError } from './http';

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
  if (parsed.u !== userId || !parsed.k || typeof parsed.k !== 'object') throw invalid;
  const key = parsed.k as Record<string, unknown>;
  if (key.userId !== userId) throw invalid;
  return key;
}
