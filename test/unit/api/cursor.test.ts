import { decodeCursor, DEFAULT_CURSOR_KEY, encodeCursor } from '../../../functions/api/cursor';
import { ApiError } from '../../../functions/api/http';

const KEY = DEFAULT_CURSOR_KEY; // what a deployment without CURSOR_SECRET signs with: anyone can forge
const USER = 'user-1';
const jobKey = { importId: 'a0000000-0000-4000-8000-000000000001', userId: USER, uploadedAt: 1764000000000 };

function refusal(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('expected the cursor to be refused');
}

describe('pagination cursors', () => {
  it('give back the key they were made from, for the same list and caller', () => {
    expect(decodeCursor('imports', encodeCursor('imports', jobKey, USER, KEY), USER, KEY, 'lastEvaluatedKey')).toEqual(jobKey);
    const position = { kindIndex: 1, chunkIndex: 0, offset: 5, importId: 'imp', kind: null, userId: USER };
    expect(decodeCursor('conflicts', encodeCursor('conflicts', position, USER, KEY), USER, KEY, 'cursor')).toEqual(position);
  });

  it('refuse a cursor of another list with 400 INVALID_CURSOR naming the parameter (a jobs cursor on the exports list)', () => {
    const err = refusal(() => decodeCursor('exports', encodeCursor('imports', jobKey, USER, KEY), USER, KEY, 'lastEvaluatedKey'));
    expect(err).toMatchObject({ status: 400, code: 'INVALID_CURSOR', details: [{ field: 'lastEvaluatedKey', message: 'is not valid' }] });
  });

  it("refuse another user's cursor and a tampered signature", () => {
    expect(refusal(() => decodeCursor('imports', encodeCursor('imports', jobKey, USER, KEY), 'user-2', KEY, 'lastEvaluatedKey')).code).toBe('INVALID_CURSOR');
    const [payload] = encodeCursor('imports', jobKey, USER, KEY).split('.');
    expect(refusal(() => decodeCursor('imports', `${payload}.AAAA`, USER, KEY, 'lastEvaluatedKey')).code).toBe('INVALID_CURSOR');
  });

  it('refuse well-signed cursors of the wrong shape: missing or extra attributes, wrong types, negative positions', () => {
    const forged: Array<[Parameters<typeof encodeCursor>[0], Record<string, unknown>]> = [
      ['imports', { userId: USER }],
      ['imports', { ...jobKey, uploadedAt: 'abc' }],
      ['imports', { ...jobKey, uploadedAt: -1 }],
      ['imports', { ...jobKey, status: 'completed' }],
      ['imports', { ...jobKey, importId: '' }],
      ['conflicts', { kindIndex: 0, chunkIndex: -1, offset: 0, importId: 'imp', kind: null, userId: USER }],
      ['conflicts', { kindIndex: 0.5, chunkIndex: 0, offset: 0, importId: 'imp', kind: null, userId: USER }],
      ['conflicts', { kindIndex: 0, chunkIndex: 0, offset: 0, importId: 'imp', kind: 7, userId: USER }],
      ['conflicts', { kindIndex: 0, chunkIndex: 0, offset: 0, importId: 'imp', kind: null, userId: 'user-2' }],
    ];
    for (const [list, key] of forged) {
      expect({ key, code: refusal(() => decodeCursor(list, encodeCursor(list, key, USER, KEY), USER, KEY, 'cursor')).code }).toEqual({ key, code: 'INVALID_CURSOR' });
    }
  });

  it('refuse garbage', () => {
    for (const c of ['', '.', 'x.y.z', 'a'.repeat(3000), `${Buffer.from('null').toString('base64url')}.x`]) {
      expect(refusal(() => decodeCursor('imports', c, USER, KEY, 'lastEvaluatedKey')).code).toBe('INVALID_CURSOR');
    }
  });
});
