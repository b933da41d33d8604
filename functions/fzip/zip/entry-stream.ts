/**
 * Opens one entry's content as a stream that verifies itself: the exact uncompressed size,
 * the CRC-32 (yauzl does not check it), and optionally a SHA-256 from the manifest. Any
 * mismatch fails the stream with an FzipFatalError naming the entry.
 */
import { createHash, Hash } from 'node:crypto';
import { Readable, Transform, TransformCallback, pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { ZipFile } from 'yauzl';
import { FzipFatalError } from '../issues';
import { ZipLzmaDecompressStream, LzmaDataError } from '../lzma/lzma-decoder';
import { classifyYauzlError, IndexedEntry } from './container';

/** Node 20.15+/22.2+ ship zlib.crc32; keep a table fallback for older 20.x. */
const crc32: (data: Uint8Array, value: number) => number =
  (zlib as unknown as { crc32?: (d: Uint8Array, v: number) => number }).crc32 ?? tableCrc32;

let table: Uint32Array | undefined;
function tableCrc32(data: Uint8Array, value: number): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = ~value >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** Inflated bytes per step: zlib's 16 KiB default costs a thread-pool round trip every 16 KiB. */
const INFLATE_CHUNK_BYTES = 256 * 1024;

export interface EntryVerification {
  /** Expected "sha256:<hex>" of the content, from the manifest's checksums. */
  sha256?: string;
}

/**
 * What decoding an entry needs to know of it, as plain data: a worker thread that decodes the
 * entry is told these facts (it has no ZIP file open).
 */
export interface EntryFacts {
  name: string;
  compressionMethod: number;
  uncompressedSize: number;
  crc32: number;
  /** LZMA only: the stream ends with an end marker (general purpose bit 1). */
  endMarker: boolean;
}

export function entryFacts(item: IndexedEntry): EntryFacts {
  const e = item.entry;
  return {
    name: item.name,
    compressionMethod: e.compressionMethod,
    uncompressedSize: e.uncompressedSize,
    crc32: e.crc32,
    endMarker: (e.generalPurposeBitFlag & 0x2) !== 0,
  };
}

class VerifyStream extends Transform {
  private crc = 0;
  private bytes = 0;
  private readonly hash: Hash | undefined;

  constructor(
    private readonly item: EntryFacts,
    private readonly expectSha256: string | undefined,
  ) {
    super();
    this.hash = expectSha256 ? createHash('sha256') : undefined;
  }

  override _transform(chunk: Buffer, _e: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.item.uncompressedSize) {
      return cb(this.fail('ENTRY_SIZE_MISMATCH', 'the entry holds more bytes than the ZIP directory says'));
    }
    this.crc = crc32(chunk, this.crc);
    this.hash?.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    const e = this.item;
    if (this.bytes !== e.uncompressedSize) {
      return cb(this.fail('ENTRY_SIZE_MISMATCH', `the entry holds ${this.bytes} bytes; the ZIP directory says ${e.uncompressedSize}`));
    }
    if (this.crc >>> 0 !== e.crc32 >>> 0) return cb(this.fail('CRC_MISMATCH', 'the entry fails its CRC-32 check'));
    if (this.hash && this.expectSha256) {
      const actual = `sha256:${this.hash.digest('hex')}`;
      if (actual !== this.expectSha256.toLowerCase()) {
        return cb(this.fail('CHECKSUM_MISMATCH', `the entry's SHA-256 does not match the manifest's checksums (${actual})`));
      }
    }
    cb();
  }

  private fail(code: 'ENTRY_SIZE_MISMATCH' | 'CRC_MISMATCH' | 'CHECKSUM_MISMATCH', message: string): FzipFatalError {
    return new FzipFatalError({ code, message, file: this.item.name });
  }
}

/** Maps any error raised while reading an entry to a coded FzipFatalError. */
export function toEntryError(err: unknown, item: { name: string }): FzipFatalError {
  if (err instanceof FzipFatalError) return err;
  if (err instanceof LzmaDataError) {
    return new FzipFatalError({ code: 'CORRUPT_ENTRY', message: `the LZMA data is corrupt: ${err.message}`, file: item.name });
  }
  const e = err as Error & { code?: string };
  if (typeof e.code === 'string' && e.code.startsWith('Z_')) {
    return new FzipFatalError({ code: 'CORRUPT_ENTRY', message: `the compressed data is corrupt: ${e.message}`, file: item.name });
  }
  return classifyYauzlError(e, item.name);
}

/** The entry's stored bytes as the ZIP holds them (still compressed). Errors: map with toEntryError. */
export async function openRawEntry(zip: ZipFile, item: IndexedEntry): Promise<Readable> {
  const e = item.entry;
  try {
    // We inflate ourselves (method 8) to choose zlib's output step; yauzl only supplies the raw bytes.
    return await zip.openReadStreamPromise(e, e.compressionMethod === 14 || e.compressionMethod === 8 ? { decodeFileData: false } : undefined);
  } catch (err) {
    throw toEntryError(err, item);
  }
}

/** Decodes an entry's stored bytes and verifies them as they stream. Errors: map with toEntryError. */
export function decodeEntry(raw: Readable, facts: EntryFacts, maxLzmaDictBytes: number, verification: EntryVerification = {}): Readable {
  const stages: NodeJS.ReadWriteStream[] = [];
  if (facts.compressionMethod === 8) stages.push(zlib.createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES }));
  if (facts.compressionMethod === 14) {
    stages.push(
      new ZipLzmaDecompressStream({
        uncompressedSize: facts.uncompressedSize,
        hasEndMarker: facts.endMarker,
        maxDictSize: maxLzmaDictBytes,
      }),
    );
  }
  const verify = new VerifyStream(facts, verification.sha256);
  // pipeline destroys `verify` with the first error of any stage; readers map it with toEntryError.
  pipeline([raw, ...stages, verify], () => undefined);
  return verify;
}

/** The entry's uncompressed bytes, verified as they stream. Errors: map with toEntryError. */
export async function openEntryStream(
  zip: ZipFile,
  item: IndexedEntry,
  maxLzmaDictBytes: number,
  verification: EntryVerification = {},
): Promise<Readable> {
  return decodeEntry(await openRawEntry(zip, item), entryFacts(item), maxLzmaDictBytes, verification);
}
