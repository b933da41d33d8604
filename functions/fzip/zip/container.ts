/**
 * Opens an FZIP's ZIP container and checks every entry's metadata before any content is
 * trusted: names, types, encryption, compression methods, sizes, ratios, local headers and
 * overlaps. yauzl reads the central directory through byte ranges only.
 */
import { CoalescingRangeSource } from '../coalescing-source';
import yauzl, { Entry, ZipFile } from 'yauzl';
import { Readable } from 'node:stream';
import { FzipLimits } from '../limits';
import { FzipFatalError, Issue, WarningCode } from '../issues';
import { RangeSource } from '../source';
import { classifyEntryName, CONTROL_CHARS, EntryRole } from './layout';
import { DerivedData, EntityKind } from '../entities';

export const SUPPORTED_METHODS = new Set([0, 8, 14]);

class SourceReader extends yauzl.RandomAccessReader {
  constructor(private readonly source: RangeSource) {
    super();
  }
  override _readStreamForRange(start: number, end: number): Readable {
    return this.source.readRange(start, end);
  }
}

export interface IndexedEntry {
  name: string;
  entry: Entry;
  role: EntryRole;
}

export interface ContainerIndex {
  zip: ZipFile;
  entries: Map<string, IndexedEntry>;
  manifest?: IndexedEntry;
  /** The data entry of each entity (plain or gzip). */
  data: Map<EntityKind, IndexedEntry>;
  /** Statement file entries by fileId. */
  files: Map<string, IndexedEntry[]>;
  /** Derived data entries (analytics): checked, never imported. */
  derived: Map<DerivedData, IndexedEntry>;
}

function fatal(code: Parameters<typeof makeIssue>[0], message: string, file?: string): never {
  throw new FzipFatalError(makeIssue(code, message, file));
}
function makeIssue(code: FzipFatalError['issue']['code'], message: string, file?: string) {
  return file === undefined ? { code, message } : { code, message, file };
}

/** Maps yauzl's messages to our codes. */
export function classifyYauzlError(err: Error, file?: string): FzipFatalError {
  const m = err.message;
  const named = /^(invalid relative path|absolute path|invalid characters in fileName): (.*)$/s.exec(m);
  if (named) {
    // yauzl names the entry in its message: report it in `file` too (cut: a name may be long).
    return new FzipFatalError(makeIssue('INVALID_ENTRY_NAME', `entry name is not allowed (${named[1]})`, file ?? named[2].slice(0, 200)));
  }
  if (/invalid relative path|absolute path|invalid characters in fileName/.test(m)) {
    return new FzipFatalError(makeIssue('INVALID_ENTRY_NAME', `entry name is not allowed: ${m}`, file));
  }
  if (/strong encryption/.test(m)) return new FzipFatalError(makeIssue('ENCRYPTED_ENTRY', `encrypted entry: ${m}`, file));
  if (/compressed\/uncompressed size mismatch|too many bytes|not enough bytes/.test(m)) {
    return new FzipFatalError(makeIssue('ENTRY_SIZE_MISMATCH', `entry size does not match the ZIP directory: ${m}`, file));
  }
  if (/end of central directory|central directory|signature|comment|unexpected EOF|overflows|zip64/i.test(m)) {
    return new FzipFatalError(makeIssue('NOT_A_ZIP', `not a readable ZIP file (${m})`, file));
  }
  return new FzipFatalError(makeIssue('CORRUPT_ENTRY', `the ZIP data is corrupt: ${m}`, file));
}

function isSymlink(e: Entry): boolean {
  return e.versionMadeBy >> 8 === 3 && ((e.externalFileAttributes >>> 16) & 0o170000) === 0o120000;
}

function checkName(e: Entry, limits: FzipLimits): string {
  const raw = e.fileNameRaw;
  const name = e.fileName;
  if (raw.length > limits.maxEntryNameBytes) {
    fatal('INVALID_ENTRY_NAME', `entry name is longer than ${limits.maxEntryNameBytes} bytes`, name.slice(0, 80));
  }
  if ((e.generalPurposeBitFlag & 0x800) !== 0) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      fatal('INVALID_ENTRY_NAME', 'entry name is not valid UTF-8', name);
    }
  } else if (raw.some((b) => b >= 0x80)) {
    fatal('INVALID_ENTRY_NAME', 'entry name has non-ASCII bytes but is not flagged as UTF-8', name);
  }
  if (CONTROL_CHARS.test(name)) fatal('INVALID_ENTRY_NAME', 'entry name contains control characters', JSON.stringify(name));
  return name;
}

export async function openContainer(
  source: RangeSource,
  limits: FzipLimits,
  warn: (issue: Issue<WarningCode>) => void,
): Promise<ContainerIndex> {
  let zip: ZipFile;
  // Small reads (directory, local headers, small entries) from cached blocks: O(1) round trips.
  const reads = source instanceof CoalescingRangeSource ? source : new CoalescingRangeSource(source);
  try {
    zip = await yauzl.fromRandomAccessReaderPromise(new SourceReader(reads), source.size, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: true,
      strictFileNames: true,
      validateEntrySizes: true,
    });
  } catch (err) {
    throw classifyYauzlError(err as Error);
  }
  try {
    if (zip.entryCount > limits.maxEntries) {
      fatal('TOO_MANY_ENTRIES', `the package has ${zip.entryCount} entries; at most ${limits.maxEntries} are allowed`);
    }
    const index: ContainerIndex = { zip, entries: new Map(), data: new Map(), files: new Map(), derived: new Map() };
    const intervals: Array<[number, number, string]> = [];
    let total = 0;
    for (;;) {
      let e: Entry | undefined;
      try {
        e = await nextEntry(zip);
      } catch (err) {
        throw classifyYauzlError(err as Error);
      }
      if (!e) break;
      const name = checkName(e, limits);
      if (index.entries.has(name)) fatal('DUPLICATE_ENTRY', 'the entry appears more than once in the package', name);
      if (isSymlink(e)) fatal('SYMLINK_ENTRY', 'symbolic links are not allowed in a package', name);
      if (e.isEncrypted()) fatal('ENCRYPTED_ENTRY', 'encrypted entries are not supported', name);
      const role = classifyEntryName(name);
      if (!role) fatal('UNEXPECTED_ENTRY', 'this entry does not belong in an FZIP package (see docs/fzip-format.md)', name);
      if (role.role === 'directory') {
        if (e.uncompressedSize !== 0) fatal('UNEXPECTED_ENTRY', 'a directory entry must be empty', name);
        index.entries.set(name, { name, entry: e, role });
        continue;
      }
      if (!SUPPORTED_METHODS.has(e.compressionMethod)) {
        fatal('UNSUPPORTED_COMPRESSION', `compression method ${e.compressionMethod} is not supported (0, 8 and 14 are)`, name);
      }
      if (e.uncompressedSize > limits.maxEntryBytes) {
        fatal('ENTRY_TOO_LARGE', `the entry is ${e.uncompressedSize} bytes uncompressed; the limit is ${limits.maxEntryBytes}`, name);
      }
      total += e.uncompressedSize;
      if (total > limits.maxTotalUncompressedBytes) {
        fatal('PACKAGE_UNCOMPRESSED_TOO_LARGE', `the package holds more than ${limits.maxTotalUncompressedBytes} bytes uncompressed`, name);
      }
      if (
        e.uncompressedSize > limits.ratioCheckMinBytes &&
        e.uncompressedSize > e.compressedSize * limits.maxCompressionRatio
      ) {
        fatal('COMPRESSION_RATIO_TOO_HIGH', `the entry expands more than ${limits.maxCompressionRatio} times`, name);
      }
      let header;
      try {
        header = await zip.readLocalFileHeaderPromise(e);
      } catch (err) {
        throw classifyYauzlError(err as Error, name);
      }
      if (!header.fileName.equals(e.fileNameRaw) || header.compressionMethod !== e.compressionMethod) {
        fatal('LOCAL_HEADER_MISMATCH', 'the local header disagrees with the central directory', name);
      }
      intervals.push([e.relativeOffsetOfLocalHeader, header.fileDataStart + e.compressedSize, name]);
      const item: IndexedEntry = { name, entry: e, role };
      index.entries.set(name, item);
      if (role.role === 'manifest') index.manifest = item;
      else if (role.role === 'data') {
        const other = index.data.get(role.kind);
        if (other) fatal('AMBIGUOUS_DATA_FILE', `both ${other.name} and ${name} are present; keep one`, name);
        index.data.set(role.kind, item);
      } else if (role.role === 'file') {
        const list = index.files.get(role.fileId) ?? [];
        list.push(item);
        index.files.set(role.fileId, list);
      } else if (role.role === 'derivedData') {
        const other = index.derived.get(role.name);
        if (other) fatal('AMBIGUOUS_DATA_FILE', `both ${other.name} and ${name} are present; keep one`, name);
        index.derived.set(role.name, item);
      } else if (role.role === 'ignoredData') {
        warn({ code: 'IGNORED_ENTRY', message: 'this data file is not imported', file: name });
      }
    }
    intervals.sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < intervals.length; i++) {
      if (intervals[i][0] < intervals[i - 1][1]) {
        fatal('OVERLAPPING_ENTRIES', `the entry shares bytes with ${intervals[i - 1][2]} (a zip bomb pattern)`, intervals[i][2]);
      }
    }
    return index;
  } catch (err) {
    zip.close();
    throw err;
  }
}

function nextEntry(zip: ZipFile): Promise<Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zip.removeListener('entry', onEntry);
      zip.removeListener('end', onEnd);
      zip.removeListener('error', onError);
    };
    const onEntry = (e: Entry) => {
      cleanup();
      resolve(e);
    };
    const onEnd = () => {
      cleanup();
      resolve(undefined);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}
