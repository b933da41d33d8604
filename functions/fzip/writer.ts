/**
 * Writes an FZIP in the layout housef3 uses (manifest.json, data/*.json.gz, files/{id}/{name}),
 * streaming records from (async) iterables, with dataSummary counts and sha256 checksums
 * filled in. Serves tests, benchmarks, the generator and a future export.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { PassThrough, Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import yazl from 'yazl';
import { ENTITIES, ENTITY_KINDS, EntityKind } from './entities';
import { PlainRecord } from './normalize';
import { dataEntryName, fileEntryName } from './zip/layout';

export type RecordSource = Iterable<PlainRecord> | AsyncIterable<PlainRecord>;

export interface StatementFileInput {
  fileId: string;
  fileName: string;
  content: Buffer | (() => Readable);
}

export interface PackageInput {
  /** Merged over the defaults (format 1.0, now, counts and checksums computed). */
  manifest?: PlainRecord;
  accounts?: RecordSource;
  categories?: RecordSource;
  fileMaps?: RecordSource;
  transactionFiles?: RecordSource;
  transactions?: RecordSource;
  files?: Iterable<StatementFileInput>;
}

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
export function recordJson(kind: EntityKind, record: PlainRecord): string {
  const text = JSON.stringify(record);
  if (kind === 'transactions' && typeof record.transactionHash === 'string' && /^[0-9]{1,20}$/.test(record.transactionHash)) {
    return text.replace(`"transactionHash":"${record.transactionHash}"`, `"transactionHash":${record.transactionHash}`);
  }
  return text;
}

async function* arrayText(kind: EntityKind, records: RecordSource, count: { n: number }): AsyncGenerator<string> {
  yield '[';
  let batch = '';
  for await (const r of records as AsyncIterable<PlainRecord>) {
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

/** Writes the package to a stream. */
export async function writePackage(input: PackageInput, out: Writable, options: WriteOptions = {}): Promise<WriteResult> {
  const gzip = options.gzipData !== false;
  const level = options.level ?? 6;
  const zip = new yazl.ZipFile();
  const output = pipeline(zip.outputStream, out);
  const checksums: Record<string, string> = {};
  const counts = { accounts: 0, categories: 0, fileMaps: 0, transactionFiles: 0, transactions: 0 };
  const done: Promise<void>[] = [];

  const addStream = (name: string, body: Readable) => {
    const hashed = hashing((hex) => {
      checksums[name] = `sha256:${hex}`;
    });
    const pass = new PassThrough();
    done.push(pipeline(body, hashed, pass).then(() => undefined));
    zip.addReadStream(pass, name, { compressionLevel: level, mtime: new Date(0) });
  };

  for (const kind of ENTITY_KINDS) {
    const records = input[kind];
    if (!records) continue;
    const count = { n: 0 };
    const text = Readable.from(arrayText(kind, records, count));
    const name = dataEntryName(ENTITIES[kind].fileBase, gzip);
    addStream(name, gzip ? text.pipe(zlib.createGzip({ level })) : text);
    done.push(
      new Promise<void>((resolve) => text.on('end', resolve)).then(() => {
        counts[kind] = count.n;
      }),
    );
  }
  for (const f of input.files ?? []) {
    const body = Buffer.isBuffer(f.content) ? Readable.from([f.content]) : f.content();
    addStream(fileEntryName(f.fileId, f.fileName), body);
  }

  await Promise.all(done);
  const manifest: PlainRecord = {
    backupFormatVersion: '1.0',
    backupTimestamp: new Date().toISOString(),
    userId: 'unknown',
    housef3Version: '2.5.0',
    packageFormat: 'fzip',
    dataSummary: {
      accountsCount: counts.accounts,
      transactionsCount: counts.transactions,
      categoriesCount: counts.categories,
      fileMapsCount: counts.fileMaps,
      transactionFilesCount: counts.transactionFiles,
      analyticsIncluded: false,
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
