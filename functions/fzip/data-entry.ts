/**
 * From a data entry's stored bytes to batches of JSON element texts: decode (inflate or LZMA),
 * verify (size, CRC-32, SHA-256), gunzip, decode UTF-8 strictly, split the JSON array. Pure
 * streams over plain facts (an entry's name, method, sizes, CRC), apart from the ZIP file that
 * holds the entry.
 */
import { Readable, pipeline } from 'node:stream';
import zlib from 'node:zlib';
import { FzipFatalError } from './issues';
import { FzipLimits } from './limits';
import { JsonElement, JsonElementSplitter, JsonScanError } from './json/element-splitter';
import { StrictUtf8Decoder } from './json/utf8-decoder';
import { decodeEntry, EntryFacts, toEntryError } from './zip/entry-stream';

/** Gunzip output per step: zlib's 16 KiB default costs a thread-pool round trip every 16 KiB. */
const GUNZIP_CHUNK_BYTES = 256 * 1024;

/** The limits that reading a data file applies. */
export type ReadingLimits = Pick<FzipLimits, 'maxRecordBytes' | 'maxRecordDepth' | 'maxDataFileBytes' | 'maxLzmaDictBytes'>;

/** Everything decoding one data entry needs, as plain data (it can be posted to a worker). */
export interface DataEntrySpec {
  facts: EntryFacts;
  /** The entry is gzip inside the ZIP (data/*.json.gz). */
  gzip: boolean;
  /** Expected "sha256:<hex>" of the stored entry, from the manifest's checksums. */
  sha256?: string;
  limits: ReadingLimits;
}

export function readingLimits(limits: FzipLimits): ReadingLimits {
  const { maxRecordBytes, maxRecordDepth, maxDataFileBytes, maxLzmaDictBytes } = limits;
  return { maxRecordBytes, maxRecordDepth, maxDataFileBytes, maxLzmaDictBytes };
}

function scanFailure(err: JsonScanError, file: string): FzipFatalError {
  const where = err.index !== undefined ? ` (record ${err.index})` : '';
  return new FzipFatalError({
    code: err.code,
    message: `${file} ${err.message}${where}`,
    file,
    ...(err.index !== undefined ? { index: err.index } : {}),
  });
}

/** Decodes UTF-8 strictly and splits the JSON text into elements, chunk by chunk. */
export async function* splitStream(
  stream: Readable,
  file: string,
  limits: ReadingLimits,
  objectRoot: boolean,
  mapError: (err: unknown) => FzipFatalError,
): AsyncGenerator<JsonElement[]> {
  const decoder = new StrictUtf8Decoder();
  const splitter = new JsonElementSplitter({
    maxElementChars: limits.maxRecordBytes,
    maxDepth: limits.maxRecordDepth,
    objectRoot,
  });
  let bytes = 0;
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      bytes += buf.length;
      if (bytes > limits.maxDataFileBytes) {
        throw new FzipFatalError({
          code: 'DATA_FILE_TOO_LARGE',
          message: `${file} is larger than ${limits.maxDataFileBytes} bytes of JSON`,
          file,
        });
      }
      let text: string;
      try {
        text = decoder.write(buf);
      } catch {
        throw new FzipFatalError({ code: 'INVALID_ENCODING', message: `${file} is not valid UTF-8`, file });
      }
      const els = splitter.write(text);
      if (els.length) yield els;
    }
    let tail: string;
    try {
      tail = decoder.end();
    } catch {
      throw new FzipFatalError({ code: 'INVALID_ENCODING', message: `${file} is not valid UTF-8`, file });
    }
    const els = [...splitter.write(tail), ...splitter.end()];
    if (els.length) yield els;
  } catch (err) {
    if (err instanceof JsonScanError) throw scanFailure(err, file);
    if (err instanceof FzipFatalError) throw err;
    throw mapError(err);
  } finally {
    stream.destroy();
  }
}

/** A data entry's elements from its stored bytes; every failure is an FzipFatalError naming the entry. */
export function dataElements(raw: Readable, spec: DataEntrySpec): AsyncGenerator<JsonElement[]> {
  const { facts, gzip } = spec;
  const entry = decodeEntry(raw, facts, spec.limits.maxLzmaDictBytes, spec.sha256 ? { sha256: spec.sha256 } : {});
  let text: Readable = entry;
  if (gzip) {
    const gunzip = zlib.createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
    pipeline(entry, gunzip, () => undefined);
    text = gunzip;
  }
  return splitStream(text, facts.name, spec.limits, false, (err) => {
    const e = err as Error & { code?: string };
    if (gzip && typeof e.code === 'string' && e.code.startsWith('Z_')) {
      return new FzipFatalError({ code: 'CORRUPT_ENTRY', message: `${facts.name} is not valid gzip data: ${e.message}`, file: facts.name });
    }
    return toEntryError(err, facts);
  });
}
