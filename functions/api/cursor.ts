/**
 * Pagination cursors: the DynamoDB LastEvaluatedKey of a list (or a position in the conflicts of
 * an import), bound to the user and to the list it came from. They are safe without a secret:
 * every decode checks the list, the caller, and the exact shape of that list's key (the names
 * and types of its attributes, nothing else), and every query is made for the caller's user id
 * anyway — so a forged cursor can at most start the caller's own list elsewhere. With
 * CURSOR_SECRET set they are also signed (HMAC-SHA256), so a tampered one is refused as invalid.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ApiError } from './http';

type FieldType = 'string' | 'epochMs' | 'index' | 'stringOrNull';

/** Each list's cursor: exactly these attributes (the user's own id is always `userId`). */
const CURSOR_SHAPES = {
  /** GET /import: a key of the job table's byUser index. */
  imports: { importId: 'string', userId: 'string', uploadedAt: 'epochMs' },
  /** GET /export: a key of the export table's byUser index. */
  exports: { exportId: 'string', userId: 'string', createdAt: 'epochMs' },
  /** GET /import/{id}/conflicts: kind index, chunk index, offset; the import and the kind filter. */
  conflicts: { kindIndex: 'index', chunkIndex: 'index', offset: 'index', importId: 'string', kind: 'stringOrNull', userId: 'string' },
} as const satisfies Record<string, Record<string, FieldType>>;

export type CursorList = keyof typeof CURSOR_SHAPES;

/** The key cursors are signed with when CURSOR_SECRET is not set (they are safe without one). */
export const DEFAULT_CURSOR_KEY = 'fzip-import-cursor';

function sign(payload: string, secret: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

function fits(type: FieldType, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string' && v.length > 0 && v.length <= 200;
    case 'epochMs':
      return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
    case 'index':
      return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v < 1e9;
    case 'stringOrNull':
      return v === null || (typeof v === 'string' && v.length <= 200);
  }
}

export function encodeCursor(list: CursorList, key: Record<string, unknown>, userId: string, secret: string): string {
  const payload = Buffer.from(JSON.stringify({ l: list, u: userId, k: key })).toString('base64url');
  return `${payload}.${sign(payload, secret)}`;
}

/**
 * The key a cursor of `list` holds, or 400 INVALID_CURSOR naming `param` (the query parameter
 * the client sent it in).
 */
export function decodeCursor(list: CursorList, cursor: string, userId: string, secret: string, param: string): Record<string, unknown> {
  const invalid = new ApiError(400, 'INVALID_CURSOR', `${param} is not a cursor from a previous page of this list`, [{ field: param, message: 'is not valid' }]);
  const [payload, mac, extra] = cursor.split('.');
  if (!payload || !mac || extra !== undefined || cursor.length > 2048) throw invalid;
  const expected = Buffer.from(sign(payload, secret));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid;
  let parsed: { l?: unknown; u?: unknown; k?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalid;
  }
  if (parsed === null || typeof parsed !== 'object' || parsed.l !== list || parsed.u !== userId) throw invalid;
  const key = parsed.k;
  if (!key || typeof key !== 'object' || Array.isArray(key)) throw invalid;
  const shape: Record<string, FieldType> = CURSOR_SHAPES[list];
  const names = Object.keys(key);
  if (names.length !== Object.keys(shape).length) throw invalid;
  for (const name of names) {
    const type = Object.prototype.hasOwnProperty.call(shape, name) ? shape[name] : undefined;
    if (!type || !fits(type, (key as Record<string, unknown>)[name])) throw invalid;
  }
  if ((key as Record<string, unknown>).userId !== userId) throw invalid;
  return key as Record<string, unknown>;
}
