/**
 * Reads a package's manifest, its records (as JSON text, one element at a time) and its
 * statement files, whatever its packageFormat: an FZIP (ZIP) or a single JSON document.
 * Everything streams; nothing holds a whole package or data file in memory.
 */
import { countKeys, findDuplicateKey } from './json/duplicate-keys';
import { Readable } from 'node:stream';
import { DERIVED_DATA, DerivedData, ENTITIES, EntityKind } from './entities';
import { FzipFatalError, Issue, WarningCode } from './issues';
import { FzipLimits } from './limits';
import { JsonElement } from './json/element-splitter';
import { RangeSource, readHead } from './source';
import { ContainerIndex, IndexedEntry, openContainer } from './zip/container';
import { entryFacts, openEntryStream, openRawEntry, toEntryError } from './zip/entry-stream';
import { dataElements, DataEntrySpec, readingLimits, splitStream } from './data-entry';

export type PackageFormat = 'fzip' | 'json';

/** The manifest, unless a key repeats in it (JSON.parse would keep the last one silently). */
function manifestWithoutDuplicates(manifest: unknown, text: string, file: string): unknown {
  const dup = countKeys(manifest) !== countColonKeys(text) ? findDuplicateKey(text) : undefined;
  if (dup) throw new FzipFatalError({ code: 'DUPLICATE_KEY', message: `${dup.pointer.slice(1)} appears twice in the manifest (which one is meant cannot be known)`, file, field: dup.pointer });
  return manifest;
}

/** Keys of a JSON text (colons outside strings). */
function countColonKeys(text: string): number {
  let n = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 58) n++;
  }
  return n;
}

export interface StatementFile {
  fileId: string;
  fileName: string;
  /** Entry name inside the package. */
  entryName: string;
  size: number;
}

export interface PackageReader {
  readonly format: PackageFormat;
  /** The parsed manifest object (not yet schema-checked). */
  readManifest(): Promise<unknown>;
  /** Where an entity's records live, for messages: an entry name or a document key. */
  dataLocation(kind: EntityKind): string;
  /** Bytes an entity's records are stored in (compressed, in a ZIP): what reading them costs, roughly. */
  dataBytes(kind: EntityKind): number;
  /** Batches of record texts; throws FzipFatalError when the file cannot be read further. */
  records(kind: EntityKind): AsyncIterable<JsonElement[]>;
  /** A derived data file (analytics): where it is, if the package has it, and its record texts. */
  derivedLocation(name: DerivedData): string | undefined;
  derivedRecords(name: DerivedData): AsyncIterable<JsonElement[]>;
  statementFiles(): StatementFile[];
  /** A statement file's verified bytes. */
  openStatementFile(entryName: string): Promise<Readable>;
  /** Reads and verifies an entry without using it (checksums of entries nothing else reads). */
  verifyEntry(entryName: string): Promise<void>;
  hasEntry(entryName: string): boolean;
  /** The manifest's checksums, verified from then on as entries are read. */
  useChecksums(checksums: Checksums): void;
  close(): void;
}

/** Checksums from the manifest ("sha256:<hex>" by entry name), once read. */
export type Checksums = Record<string, string>;

class ZipPackageReader implements PackageReader {
  readonly format = 'fzip' as const;
  private checksums: Checksums = {};

  constructor(
    private readonly index: ContainerIndex,
    private readonly limits: FzipLimits,
  ) {}

  useChecksums(checksums: Checksums): void {
    this.checksums = checksums;
  }

  private sha(name: string): { sha256?: string } {
    const v = Object.prototype.hasOwnProperty.call(this.checksums, name) ? this.checksums[name] : undefined;
    return v ? { sha256: v } : {};
  }

  private async open(item: IndexedEntry): Promise<Readable> {
    return openEntryStream(this.index.zip, item, this.limits.maxLzmaDictBytes, this.sha(item.name));
  }

  async readManifest(): Promise<unknown> {
    const item = this.index.manifest;
    if (!item) throw new FzipFatalError({ code: 'MISSING_MANIFEST', message: 'the package has no manifest.json' });
    if (item.entry.uncompressedSize > this.limits.maxManifestBytes) {
      throw new FzipFatalError({
        code: 'INVALID_MANIFEST',
        message: `manifest.json is larger than ${this.limits.maxManifestBytes} bytes`,
        file: item.name,
      });
    }
    const parts: Buffer[] = [];
    try {
      for await (const c of await this.open(item)) parts.push(c as Buffer);
    } catch (err) {
      throw toEntryError(err, item);
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(parts));
    } catch {
      throw new FzipFatalError({ code: 'INVALID_ENCODING', message: 'manifest.json is not valid UTF-8', file: item.name });
    }
    let manifest: unknown;
    try {
      manifest = JSON.parse(text);
    } catch (err) {
      throw new FzipFatalError({
        code: 'INVALID_MANIFEST',
        message: `manifest.json is not valid JSON: ${(err as Error).message}`,
        file: item.name,
      });
    }
    return manifestWithoutDuplicates(manifest, text, item.name);
  }

  dataLocation(kind: EntityKind): string {
    return this.index.data.get(kind)?.name ?? `data/${ENTITIES[kind].fileBase}.json`;
  }

  dataBytes(kind: EntityKind): number {
    return this.index.data.get(kind)?.entry.compressedSize ?? 0;
  }

  records(kind: EntityKind): AsyncGenerator<JsonElement[]> {
    return this.elementsOf(this.index.data.get(kind)); // a missing data file means an empty list
  }

  derivedLocation(name: DerivedData): string | undefined {
    return this.index.derived.get(name)?.name;
  }

  derivedRecords(name: DerivedData): AsyncGenerator<JsonElement[]> {
    return this.elementsOf(this.index.derived.get(name));
  }

  private async *elementsOf(item: IndexedEntry | undefined): AsyncGenerator<JsonElement[]> {
    if (!item) return;
    const raw = await openRawEntry(this.index.zip, item);
    const spec: DataEntrySpec = {
      facts: entryFacts(item),
      gzip: (item.role.role === 'data' || item.role.role === 'derivedData') && item.role.gzip,
      ...this.sha(item.name),
      limits: readingLimits(this.limits),
    };
    yield* dataElements(raw, spec);
  }

  statementFiles(): StatementFile[] {
    const out: StatementFile[] = [];
    for (const [fileId, items] of this.index.files) {
      for (const item of items) {
        if (item.role.role !== 'file') continue;
        out.push({ fileId, fileName: item.role.fileName, entryName: item.name, size: item.entry.uncompressedSize });
      }
    }
    return out;
  }

  async openStatementFile(entryName: string): Promise<Readable> {
    const item = this.index.entries.get(entryName);
    if (!item || item.role.role !== 'file') throw new Error(`${entryName} is not a statement file of this package`);
    return this.open(item);
  }

  hasEntry(entryName: string): boolean {
    return this.index.entries.has(entryName);
  }

  async verifyEntry(entryName: string): Promise<void> {
    const item = this.index.entries.get(entryName);
    if (!item) throw new Error(`${entryName} is not in the package`);
    try {
      for await (const _ of await this.open(item)) {
        // read to the end: the stream verifies size, CRC and checksum
      }
    } catch (err) {
      throw toEntryError(err, item);
    }
  }

  close(): void {
    this.index.zip.close();
  }
}

/** packageFormat "json": {manifest, and an array of records per kind under its documentKey}. */
class JsonDocumentReader implements PackageReader {
  readonly format = 'json' as const;

  constructor(
    private readonly source: RangeSource,
    private readonly limits: FzipLimits,
  ) {}

  private elements(): AsyncGenerator<JsonElement[]> {
    const name = this.source.name;
    return splitStream(this.source.readRange(0, this.source.size), name, this.limits, true, (err) =>
      err instanceof FzipFatalError
        ? err
        : new FzipFatalError({ code: 'INVALID_JSON', message: `${name} could not be read: ${(err as Error).message}`, file: name }),
    );
  }

  async readManifest(): Promise<unknown> {
    for await (const batch of this.elements()) {
      const m = batch.find((e) => e.key === 'manifest' && e.whole);
      if (m) {
        let manifest: unknown;
        try {
          manifest = JSON.parse(m.text);
        } catch (err) {
          throw new FzipFatalError({ code: 'INVALID_MANIFEST', message: `manifest is not valid JSON: ${(err as Error).message}`, file: 'manifest' });
        }
        return manifestWithoutDuplicates(manifest, m.text, 'manifest');
      }
    }
    throw new FzipFatalError({ code: 'MISSING_MANIFEST', message: 'the JSON document has no "manifest" object' });
  }

  dataLocation(kind: EntityKind): string {
    return ENTITIES[kind].documentKey;
  }

  dataBytes(): number {
    return this.source.size; // the whole document is read for each kind
  }

  records(kind: EntityKind): AsyncGenerator<JsonElement[]> {
    const info = ENTITIES[kind];
    return this.arrayOf(new Set([info.documentKey, info.fileBase]), info.documentKey);
  }

  /** Where a derived data file is: its key, unless a whole pass over the document saw no such key (then it is not read again). */
  derivedLocation(name: DerivedData): string | undefined {
    const key = DERIVED_DATA[name].documentKey;
    return this.keysSeen && !this.keysSeen.has(key) ? undefined : key;
  }

  derivedRecords(name: DerivedData): AsyncGenerator<JsonElement[]> {
    return this.arrayOf(new Set([DERIVED_DATA[name].documentKey]), DERIVED_DATA[name].documentKey);
  }

  /** The document's top-level keys, once a pass has read it to the end. */
  private keysSeen?: Set<string>;

  /** The elements of the document's array under one of `keys`. */
  private async *arrayOf(keys: ReadonlySet<string>, where: string): AsyncGenerator<JsonElement[]> {
    const seen = new Set<string>();
    for await (const batch of this.elements()) {
      for (const e of batch) if (e.key !== undefined) seen.add(e.key);
      const mine = batch.filter((e) => e.key !== undefined && keys.has(e.key));
      for (const e of mine) {
        if (e.whole) {
          throw new FzipFatalError({
            code: 'INVALID_DATA_FILE',
            message: `"${e.key}" must be an array of records`,
            file: where,
          });
        }
      }
      if (mine.length) yield mine;
    }
    this.keysSeen = seen;
  }

  statementFiles(): StatementFile[] {
    return [];
  }

  openStatementFile(entryName: string): Promise<Readable> {
    return Promise.reject(new Error(`a JSON package holds no statement files (${entryName})`));
  }

  hasEntry(): boolean {
    return false;
  }

  useChecksums(): void {
    // a JSON document has no entries to check
  }

  verifyEntry(entryName: string): Promise<void> {
    return Promise.reject(new Error(`a JSON package has no entries (${entryName})`));
  }

  close(): void {
    // nothing held open
  }
}

/** Recognizes the format from the first bytes: a ZIP signature or a JSON object. */
export async function sniffFormat(source: RangeSource): Promise<PackageFormat | undefined> {
  const head = await readHead(source, 64);
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5)) return 'fzip';
  const text = head.toString('utf8').replace(/^\ufeff/, '').trimStart();
  if (text.startsWith('{')) return 'json';
  return undefined;
}

export async function openPackage(
  source: RangeSource,
  format: PackageFormat,
  limits: FzipLimits,
  warn: (issue: Issue<WarningCode>) => void,
): Promise<PackageReader> {
  if (format === 'json') return new JsonDocumentReader(source, limits);
  const index = await openContainer(source, limits, warn);
  return new ZipPackageReader(index, limits);
}
