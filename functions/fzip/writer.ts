/**
 * Writes an FZIP in the layout housef3 uses (manifest.json, data/*.json.gz, files/{id}/{name}),
 * streaming records from (async) iterables, with dataSummary counts and sha256 checksums
 * filled in. Serves the export workflow, tests, benchmarks and the generator.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { PassThrough, Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import yazl from 'yazl';
import { DERIVED_DATA, DerivedData, ENTITIES, ENTITY_KINDS, EntityKind, zeroCounts } from './entities';
import { PlainRecord } from './normalize';
import { dataEntryName, fileEntryName } from './zip/layout';

/**
 * A record already serialized (one JSON object): written as it is. Exporters use it to stream
 * records they read as text, without a parse and a second serialization.
 */
export class RecordJsonText {
  constructor(readonly text: string) {}
}

export type RecordSource = Iterable<PlainRecord | RecordJsonText> | AsyncIterable<PlainRecord | RecordJsonText>;

export interface StatementFileInput {
  fileId: string;
  fileName: string;
  content: Buffer | (() => Readable);
}

/**
 * Records of each kind (a kind left out writes no data file), derived data (analytics: written
 * only when given; dataSummary.analyticsIncluded says whether any was), the statement files'
 * bytes, and manifest fields.
 */
export type PackageInput = Partial<Record<EntityKind | DerivedData, RecordSource>> & {
  /** Merged over the defaults (format 1.0, now, counts and checksums computed). */
  manifest?: PlainRecord;
  files?: Iterable<StatementFileInput>;
};

export interface WriteOptions {
  /** gzip data files inside the zip, as housef3 does (default true). */
  gzipData?: boolean;
  /** Fill manifest.checksums (default true). */
  checksums?: boolean;
  /** Deflate level for entries (default 6, as housef3). */
  level?: number;
}

export interface WriteResult {
  counts: Record<EntityKind, number>;
  manifest: PlainRecord;
}

/** JSON text of a record; a digit-string transactionHash goes back to a bare uint64 number. */
export function recordJson(kind: EntityKind | DerivedData, record: PlainRecord | RecordJsonText): string {
  if (record instanceof RecordJsonText) return record.text;
  const text = JSON.stringify(record);
  if (kind === 'transactions' && typeof record.transactionHash === 'string' && /^[0-9]{1,20}$/.test(record.transactionHash)) {
    return text.replace(`"transactionHash":"${record.transactionHash}"`, `"transactionHash":${record.transactionHash}`);
  }
  return text;
}

async function* arrayText(kind: EntityKind | DerivedData, records: RecordSource, count: { n: number }): AsyncGenerator<string> {
  yield '[';
  let batch = '';
  for await (const r of records as AsyncIterable<PlainRecord | RecordJsonText>) {
    batch += (count.n++ === 0 ? '\n' : ',\n') + recordJson(kind, r);
    if (batch.length > 64 * 1024) {
      yield batch;
      batch = '';
    }
  }
  yield batch + (count.n ? '\n]' : ']');
}

function hashing(onDigest: (hex: string) => void): Transform {
  const h = createHash('sha256');
  return new Transform({
    transform(chunk, _e, cb) {
      h.update(chunk);
      cb(null, chunk);
    },
    flush(cb) {
      onDigest(h.digest('hex'));
      cb();
    },
  });
}

/** A promise with its resolve and reject (Promise.withResolvers is Node 22+). */
function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // observed through Promise.all below
  return { promise, resolve, reject };
}

/**
 * Writes the package to a stream. Entries are opened lazily, when the zip reaches them: only
 * one data file or statement file is read at a time, whatever the package holds.
 */
export async function writePackage(input: PackageInput, out: Writable, options: WriteOptions = {}): Promise<WriteResult> {
  const gzip = options.gzipData !== false;
  const level = options.level ?? 6;
  const zip = new yazl.ZipFile();
  const output = pipeline(zip.outputStream, out);
  output.catch(() => undefined); // awaited below; an early failure must not go unhandled
  const checksums: Record<string, string> = {};
  const counts = zeroCounts();
  const done: Promise<void>[] = [];

  const addStream = (name: string, open: () => Readable) => {
    const finished = deferred();
    done.push(finished.promise);
    zip.addReadStreamLazy(name, { compressionLevel: level, mtime: new Date(0) }, (cb) => {
      const hashed = hashing((hex) => {
        checksums[name] = `sha256:${hex}`;
      });
      const pass = new PassThrough();
      pipeline(open(), hashed, pass).then(finished.resolve, (err) => {
        finished.reject(err);
        pass.destroy(err as Error);
      });
      cb(null, pass);
    });
  };

  const derived: Partial<Record<DerivedData, number>> = {};
  const dataFiles: Array<[EntityKind | DerivedData, string, (n: number) => void]> = [
    ...ENTITY_KINDS.map((k): [EntityKind, string, (n: number) => void] => [k, ENTITIES[k].fileBase, (n) => (counts[k] = n)]),
    ...(Object.keys(DERIVED_DATA) as DerivedData[]).map((d): [DerivedData, string, (n: number) => void] => [d, DERIVED_DATA[d].fileBase, (n) => (derived[d] = n)]),
  ];
  for (const [name, fileBase, written] of dataFiles) {
    const records = input[name];
    if (!records) continue;
    addStream(dataEntryName(fileBase, gzip), () => {
      const count = { n: 0 };
      const text = Readable.from(arrayText(name, records, count));
      text.on('end', () => written(count.n));
      return gzip ? text.pipe(zlib.createGzip({ level })) : text;
    });
  }
  for (const f of input.files ?? []) {
    addStream(fileEntryName(f.fileId, f.fileName), () => (Buffer.isBuffer(f.content) ? Readable.from([f.content]) : (f.content as () => Readable)()));
  }

  try {
    await Promise.all(done);
  } catch (err) {
    (zip.outputStream as Readable).destroy(err as Error);
    throw err;
  }
  const manifest: PlainRecord = {
    backupFormatVersion: '1.0',
    backupTimestamp: new Date().toISOString(),
    userId: 'unknown',
    housef3Version: '2.5.0',
    packageFormat: 'fzip',
    dataSummary: {
      ...Object.fromEntries(ENTITY_KINDS.map((k) => [ENTITIES[k].countKey, counts[k]])),
      analyticsIncluded: (derived.analytics ?? 0) > 0,
    },
    checksums: options.checksums === false ? {} : checksums,
    ...(input.manifest ?? {}),
  };
  zip.addBuffer(Buffer.from(JSON.stringify(manifest, null, 2)), 'manifest.json', { compressionLevel: level, mtime: new Date(0) });
  zip.end();
  await output;
  return { counts, manifest };
}

export async function writePackageFile(input: PackageInput, path: string, options?: WriteOptions): Promise<WriteResult> {
  return writePackage(input, createWriteStream(path), options);
}
