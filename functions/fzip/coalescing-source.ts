/**
 * Coalesced reads for ZIP access over a remote source. yauzl reads a package in many small
 * pieces: two reads per central-directory entry, a 30-byte local header per entry, then the
 * entry's data. Against S3 each read is a GET (10–20 ms): 5,000 statement files made ~20,000
 * sequential GETs. Here every small read is served from aligned blocks (1 MiB by default, a few
 * kept, least recently used first), so the central directory, the local headers and small
 * entries cost a handful of GETs; large reads (a data file) go straight through as one stream.
 */
import { Readable } from 'node:stream';
import { RangeSource } from './source';

export interface CoalescingOptions {
  /** Size of a cached block (bytes). */
  blockSize?: number;
  /** Blocks kept. */
  maxBlocks?: number;
  /** Reads at most this long are served from blocks; longer ones stream directly. */
  smallRead?: number;
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

export class CoalescingRangeSource implements RangeSource {
  private readonly blockSize: number;
  private readonly maxBlocks: number;
  private readonly smallRead: number;
  /** block index -> its bytes (a Map keeps insertion order: re-inserted on use, oldest first out). */
  private readonly blocks = new Map<number, Promise<Buffer>>();
  /** Reads made of the underlying source (the bench reports it as GETs). */
  reads = 0;

  constructor(
    private readonly inner: RangeSource,
    opts: CoalescingOptions = {},
  ) {
    this.blockSize = opts.blockSize ?? 1024 * 1024;
    this.maxBlocks = opts.maxBlocks ?? 8;
    this.smallRead = opts.smallRead ?? 64 * 1024;
  }

  get name(): string {
    return this.inner.name;
  }

  get size(): number {
    return this.inner.size;
  }

  private block(i: number): Promise<Buffer> {
    let b = this.blocks.get(i);
    if (b) {
      this.blocks.delete(i);
      this.blocks.set(i, b);
      return b;
    }
    const start = i * this.blockSize;
    this.reads++;
    b = collect(this.inner.readRange(start, Math.min(this.size, start + this.blockSize)));
    b.catch(() => this.blocks.delete(i)); // a failed read is not cached
    this.blocks.set(i, b);
    while (this.blocks.size > this.maxBlocks) this.blocks.delete(this.blocks.keys().next().value as number);
    return b;
  }

  readRange(start: number, end: number): Readable {
    if (end <= start) return Readable.from([]);
    if (end - start > this.smallRead) {
      this.reads++;
      return this.inner.readRange(start, end);
    }
    const first = Math.floor(start / this.blockSize);
    const last = Math.floor((end - 1) / this.blockSize);
    const pieces = async function* (this: CoalescingRangeSource) {
      for (let i = first; i <= last; i++) {
        const b = await this.block(i);
        const from = Math.max(start, i * this.blockSize) - i * this.blockSize;
        const to = Math.min(end, (i + 1) * this.blockSize) - i * this.blockSize;
        yield b.subarray(from, to);
      }
    };
    return Readable.from(pieces.call(this), { objectMode: false });
  }
}
