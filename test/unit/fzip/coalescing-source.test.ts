import { Readable } from 'node:stream';
import { BufferRangeSource, RangeSource } from '../../../functions/fzip/source';
import { CoalescingRangeSource } from '../../../functions/fzip/coalescing-source';
import { validatePackage } from '../../../functions/fzip/validator';
import { syntheticPackage } from '../../../cli/synthetic-package';
import { packageBuffer } from '../../helpers/packages';

/** A source that counts its reads, as S3 counts GETs. */
class CountingSource implements RangeSource {
  reads = 0;
  constructor(private readonly inner: RangeSource) {}
  get name() {
    return this.inner.name;
  }
  get size() {
    return this.inner.size;
  }
  readRange(start: number, end: number): Readable {
    this.reads++;
    return this.inner.readRange(start, end);
  }
}

describe('CoalescingRangeSource', () => {
  it('validates a package of 1,000 statement files with a handful of reads of the source (O(1) round trips, not per entry)', async () => {
    const buf = await packageBuffer(syntheticPackage({ transactions: 2000, accounts: 2, files: 1000, seed: 9 }));
    const counted = new CountingSource(new BufferRangeSource(buf, 'many-files.fzip'));
    const report = await validatePackage(counted);
    expect(report.valid).toBe(true);
    expect(report.counts.statementFiles).toBe(1000);
    // one read per MiB of package at most, plus the data files streamed whole
    expect(counted.reads).toBeLessThanOrEqual(Math.ceil(buf.length / (1024 * 1024)) + 12);
  });

  it('serves any byte range exactly, across block boundaries, and streams large reads directly', async () => {
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    const inner = new CountingSource(new BufferRangeSource(bytes));
    const src = new CoalescingRangeSource(inner, { blockSize: 4096, maxBlocks: 3, smallRead: 10_000 });
    const read = async (a: number, b: number) => {
      const parts: Buffer[] = [];
      for await (const c of src.readRange(a, b)) parts.push(c as Buffer);
      return Buffer.concat(parts);
    };
    for (const [a, b] of [[0, 10], [4090, 4100], [8191, 8193], [299_990, 300_000], [1000, 9000], [5, 200_000]]) {
      expect((await read(a, b)).equals(bytes.subarray(a, b))).toBe(true);
    }
    const before = inner.reads;
    await read(0, 10); // evicted long ago? block 0 was used recently enough to be cached again
    await read(2, 8);
    expect(inner.reads - before).toBeLessThanOrEqual(1);
  });
});
