/**
 * The staging writer starts each chunk's existence lookup at once and lets the validator read
 * on, yet writes chunks in order, holds a bounded number, and never loses a failure.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { chunkKey, conflictChunkKey, MAX_CHUNKS_IN_FLIGHT, StagingWriter } from '../../../functions/entities/staging';

const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const tx = (n: number, amount = '1.00') => ({ transactionId: uuid(n), accountId: uuid(0), date: 0, description: `t${n}`, amount });

function fakeS3() {
  const objects = new Map<string, string>();
  const order: string[] = [];
  const s3 = {
    send: async (cmd: { input: { Key: string; Body?: string } }) => {
      objects.set(cmd.input.Key, String(cmd.input.Body ?? ''));
      order.push(cmd.input.Key);
      return {};
    },
  } as unknown as S3Client;
  return { s3, objects, order };
}

/** A lookup whose answers the test releases, in any order. */
function heldLookup(existing: Map<string, Record<string, unknown>>) {
  const pending: Array<{ ids: string[]; release: (fail?: Error) => void }> = [];
  const lookup = (_kind: string, ids: string[]) =>
    new Promise<Map<string, Record<string, unknown>>>((resolve, reject) => {
      pending.push({ ids, release: (fail) => (fail ? reject(fail) : resolve(new Map(ids.filter((id) => existing.has(id)).map((id) => [id, existing.get(id)!])))) });
    });
  return { lookup, pending };
}

const flushMicrotasks = () => new Promise((r) => setImmediate(r));

describe('StagingWriter', () => {
  it('looks up ahead while records keep coming, writes chunks in order, and waits when too many are in flight', async () => {
    const { s3, objects, order } = fakeS3();
    const existing = new Map<string, Record<string, unknown>>([[uuid(1), tx(1)], [uuid(5), { ...tx(5, "9.99") }]]);
    const { lookup, pending } = heldLookup(existing);
    const w = new StagingWriter(s3, 'b', 'imp', lookup as never, 2);
    const waits: Array<Promise<void> | undefined> = [];
    for (let i = 0; i < 2 * MAX_CHUNKS_IN_FLIGHT; i++) waits.push(w.add('transactions', tx(i)));
    // every full chunk's lookup started without the caller waiting, up to the bound
    expect(pending).toHaveLength(MAX_CHUNKS_IN_FLIGHT);
    expect(waits.filter(Boolean)).toHaveLength(1);
    // answers out of order: chunk 2 first, then 1, then 0 — still written 0, 1, 2
    pending[2].release();
    pending[1].release();
    await flushMicrotasks();
    expect(order).toEqual([]);
    pending[0].release();
    await waits[waits.length - 1];
    const more = w.add('transactions', tx(100));
    expect(more).toBeUndefined();
    const finishing = w.finish();
    await flushMicrotasks();
    for (const p of pending.slice(3)) p.release();
    const manifest = await finishing;
    const chunks = order.filter((k) => k.includes('/transactions/') && !k.includes('conflict'));
    expect(chunks.slice(0, 3)).toEqual([0, 1, 2].map((n) => chunkKey('imp', 'transactions', n)));
    expect(manifest.chunks.transactions).toBe(4);
    expect(manifest.plan.transactions).toEqual({ records: 7, existing: 2, unchanged: 1, conflicts: 1 });
    expect(objects.get(conflictChunkKey("imp", "transactions", 2))).toContain(uuid(5));
    expect(objects.get(chunkKey('imp', 'transactions', 0))).toContain(`"exists":true,"same":true`);
  });

  it('a failed lookup reaches the caller, and nothing after it is written', async () => {
    const { s3, order } = fakeS3();
    const { lookup, pending } = heldLookup(new Map());
    const w = new StagingWriter(s3, 'b', 'imp', lookup as never, 1);
    expect(w.add('transactions', tx(1))).toBeUndefined();
    expect(w.add('transactions', tx(2))).toBeUndefined();
    pending[0].release(new Error('throttled'));
    pending[1].release();
    await flushMicrotasks();
    await expect(w.finish()).rejects.toThrow('throttled');
    expect(order).toEqual([]);
    // the next record that fills a chunk is refused with it too
    await expect(w.add('transactions', tx(3))).rejects.toThrow('throttled');
  });
});
