/**
 * Where a package's bytes come from. The core reads only through byte ranges, so the same
 * code reads a local file and an S3 object (ranged GETs): a Lambda never downloads a
 * package whole. Implementations outside the core (S3) live with the AWS code.
 */
import { createReadStream, promises as fsp } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';

export interface RangeSource {
  /** Shown in messages (a file name or an S3 key). */
  readonly name: string;
  readonly size: number;
  /** Bytes [start, end) as a stream. */
  readRange(start: number, end: number): Readable;
}

export class FileRangeSource implements RangeSource {
  private constructor(
    readonly path: string,
    readonly size: number,
  ) {}

  get name(): string {
    return basename(this.path);
  }

  static async open(path: string): Promise<FileRangeSource> {
    const st = await fsp.stat(path);
    if (!st.isFile()) throw new Error(`${path} is not a file`);
    return new FileRangeSource(path, st.size);
  }

  readRange(start: number, end: number): Readable {
    if (end <= start) return Readable.from([]);
    return createReadStream(this.path, { start, end: end - 1, highWaterMark: 256 * 1024 });
  }
}

/** In-memory source: for tests and small documents. */
export class BufferRangeSource implements RangeSource {
  constructor(
    private readonly buffer: Buffer,
    readonly name = 'package',
  ) {}

  get size(): number {
    return this.buffer.length;
  }

  readRange(start: number, end: number): Readable {
    return Readable.from([this.buffer.subarray(start, end)]);
  }
}

/** Reads the first bytes of a source (format sniffing). */
export async function readHead(source: RangeSource, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of source.readRange(0, Math.min(n, source.size))) parts.push(c as Buffer);
  return Buffer.concat(parts);
}
