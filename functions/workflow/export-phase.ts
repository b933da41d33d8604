/**
 * The export state machine's steps (statemachine/export.asl.json):
 *
 *   Start export -> Export transactions (Map over the 16 shards of the user's transactions:
 *   each streams its shard to export-staging/{exportId}/transactions/{shard}.ndjson; a selective
 *   export keeps the selected transactions and writes the ids they need to refs/{shard}.json)
 *   -> Write package (accounts, categories, file maps and transaction files queried page by
 *   page, the staged transactions, the statement files from the files bucket, through the FZIP
 *   writer into an S3 multipart upload of exports/{userId}/{exportId}.fzip) -> Complete export.
 *
 * Memory stays bounded whatever the user holds: a page of items, a multipart part, a gzip and
 * zip window. Records are written as stored, without our own attributes (pk, sk, importId,
 * the storage key s3Key, written as the file's entry under files/); money stays the exact decimal string, transactionHash a bare uint64.
 */
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { PassThrough, Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, ListObjectsV2CommandOutput, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { NumberValue } from '@aws-sdk/lib-dynamodb';
import { ENTITIES, EntityKind, FILE_KIND, REFERENCE_KINDS } from '../fzip/entities';
import { PlainRecord } from '../fzip/normalize';
import { RecordJsonText, StatementFileInput, writePackage } from '../fzip/writer';
import { EntityStore } from '../entities/entity-store';
import { TRANSACTION_SHARDS, userPartitions } from '../entities/entity-tables';
import { ExportStore } from '../jobs/export-store';
import { exportStagingPrefix, ExportJob } from '../jobs/export-job';
import { ExportSelection, selectionMatcher } from '../jobs/export-selection';
import { addReferences, closeReferences, referencesOf } from '../fzip/references';
import { Logger } from '../shared/logger';
import { safeReason } from './failure';
import { ImportStateError } from './errors';
import { AnalyticsStore } from '../analytics/analytics-store';
import { currentAnalyticsRecords } from '../analytics/package-records';

export interface ExportDeps {
  exports: ExportStore;
  entities: EntityStore;
  s3: S3Client;
  /** Where exports and their staging live. */
  packagesBucket: string;
  /** Where statement files are ({userId}/{fileId}/{fileName}). */
  filesBucket: string;
  logger: Logger;
  /** Multipart part size (bytes); bounds the upload's memory with queueSize 2. */
  partSize?: number;
  /** The users' analytics, for a backup that includes them. */
  analytics?: AnalyticsStore;
}

/** The export execution's input, the same for every state: ids and keys only. */
export interface ExportInput {
  exportId: string;
  userId: string;
  bucket: string;
  packageKey: string;
}

export interface ShardInput extends ExportInput {
  shard: number;
}

/** Attributes of ours that are not the user's data. */
const INTERNAL = new Set(['pk', 'sk', 'importId']);

/**
 * A stored item as the JSON text of its package record: our attributes dropped, numbers a double
 * cannot hold (read as NumberValue) written back as the exact bare numbers they were, and a
 * digit-string transactionHash as a bare uint64 (housef3's form).
 */
export function exportRecordText(kind: EntityKind, item: Record<string, unknown>, nonce: string): string {
  let exact = false;
  // housef3's restore requires s3Key and reads a file's bytes at files/{s3Key}: our storage key
  // means nothing elsewhere, the package's entry name does.
  const record = kind === FILE_KIND ? { ...item, s3Key: `${String(item.fileId)}/${String(item.fileName)}` } : item;
  const text = JSON.stringify(record, function (key, value) {
    if (this === record && INTERNAL.has(key)) return undefined;
    if (value instanceof NumberValue) {
      exact = true;
      return `${nonce}${value.toString()}${nonce}`;
    }
    return value;
  });
  let out = exact ? text.replace(new RegExp(`"${nonce}(-?[0-9.eE+-]+)${nonce}"`, 'g'), '$1') : text;
  if (kind === 'transactions' && typeof item.transactionHash === 'string' && /^[0-9]{1,20}$/.test(item.transactionHash)) {
    out = out.replace(`"transactionHash":"${item.transactionHash}"`, `"transactionHash":${item.transactionHash}`);
  }
  return out;
}

async function jobFor(input: ExportInput, deps: ExportDeps): Promise<ExportJob> {
  const job = await deps.exports.get(input.exportId);
  if (!job || job.userId !== input.userId || job.packageKey !== input.packageKey) throw new ImportStateError(`export ${input.exportId} does not match this execution`);
  if (job.status !== 'processing') throw new ImportStateError(`export ${input.exportId} is ${job.status}, not processing`);
  return job;
}

function shardKey(exportId: string, shard: number): string {
  return `${exportStagingPrefix(exportId)}transactions/${String(shard).padStart(2, '0')}.ndjson`;
}

/** selective: the ids a shard's selected transactions need (accounts, categories, statement files). */
function refsKey(exportId: string, shard: number): string {
  return `${exportStagingPrefix(exportId)}refs/${String(shard).padStart(2, '0')}.json`;
}

async function putJson(deps: ExportDeps, key: string, value: unknown): Promise<void> {
  await deps.s3.send(new PutObjectCommand({ Bucket: deps.packagesBucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }));
}

/** Items of a small kind, all of them, by id (accounts, categories, file maps, statement files: bounded in number). */
async function allItems(deps: ExportDeps, kind: EntityKind, userId: string): Promise<Map<string, Record<string, unknown>>> {
  const out = new Map<string, Record<string, unknown>>();
  for await (const page of deps.entities.itemsOf(kind, userId)) for (const item of page) out.set(String(item[ENTITIES[kind].idField]), item);
  return out;
}

/**
 * The ids of each reference kind a selective package holds: what the selected transactions
 * refer to and the accounts and categories the selection names, closed over what those records
 * refer to (fzip/references.ts), so that the package passes validation on its own.
 */
export function closeSelection(
  refs: Map<EntityKind, Set<string>>,
  selection: ExportSelection,
  items: Partial<Record<EntityKind, Map<string, Record<string, unknown>>>>,
): Map<EntityKind, Set<string>> {
  const seed = new Map([...refs].map(([k, ids]) => [k, new Set(ids)]));
  addReferences(seed, { accounts: selection.accountIds ?? [], categories: selection.categoryIds ?? [] });
  return closeReferences(seed, (kind, id) => items[kind]?.get(id));
}

async function upload(deps: ExportDeps, key: string, body: Readable, contentType: string): Promise<void> {
  const up = new Upload({
    client: deps.s3,
    params: { Bucket: deps.packagesBucket, Key: key, Body: body, ContentType: contentType },
    partSize: deps.partSize ?? 8 * 1024 * 1024,
    queueSize: 2,
    leavePartsOnError: false,
  });
  await up.done();
}

/** Start export: the shards the Map runs over. */
export async function exportStart(input: ExportInput, deps: ExportDeps): Promise<{ shards: number[] }> {
  await jobFor(input, deps);
  await deps.exports.reportProgress(input.exportId, 5, 'exporting_transactions');
  return { shards: Array.from({ length: TRANSACTION_SHARDS }, (_, i) => i) };
}

/** Export transactions (one shard): streams the shard's items, as package records, to staging. */
export async function exportTransactionsShard(input: ShardInput, deps: ExportDeps): Promise<void> {
  if (!Number.isInteger(input.shard) || input.shard < 0 || input.shard >= TRANSACTION_SHARDS) throw new ImportStateError(`there is no shard ${input.shard}`);
  const job = await jobFor(input, deps);
  const partition = userPartitions('transactions', input.userId)[input.shard];
  const nonce = `\u0001${randomBytes(8).toString('hex')}\u0001`;
  // selective: only the selected transactions, and the ids of what they need
  const selected = selectionMatcher(job.selection);
  const refs = new Map<EntityKind, Set<string>>();
  let n = 0;
  const lines = Readable.from(
    (async function* () {
      let batch = '';
      for await (const page of deps.entities.itemsOf('transactions', partition)) {
        for (const item of page) {
          if (job.selection) {
            if (!selected(item as PlainRecord)) continue;
            addReferences(refs, referencesOf(item));
          }
          batch += exportRecordText('transactions', item, nonce) + '\n';
          n++;
        }
        yield batch;
        batch = '';
      }
      yield batch;
    })(),
  );
  await upload(deps, shardKey(input.exportId, input.shard), lines, 'application/x-ndjson');
  if (job.selection) await putJson(deps, refsKey(input.exportId, input.shard), Object.fromEntries([...refs].map(([k, ids]) => [k, [...ids]])));
  const done = await deps.exports.recordShard(input.exportId, input.shard, n);
  await deps.exports.reportProgress(input.exportId, 5 + (55 * done) / TRANSACTION_SHARDS, 'exporting_transactions');
}

/** Keys of the user's statement files that exist in the files bucket. */
async function storedFiles(deps: ExportDeps, userId: string): Promise<Set<string>> {
  const keys = new Set<string>();
  let token: string | undefined;
  do {
    const out: ListObjectsV2CommandOutput = await deps.s3.send(
      new ListObjectsV2Command({ Bucket: deps.filesBucket, Prefix: `${userId}/`, ContinuationToken: token }),
    );
    for (const o of out.Contents ?? []) if (o.Key) keys.add(o.Key);
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** An S3 object as a stream handed to the writer when it gets to the entry. */
function objectStream(s3: S3Client, bucket: string, key: string): () => Readable {
  return () => {
    const out = new PassThrough();
    s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      .then((res) => {
        const body = res.Body as Readable;
        body.on('error', (err) => out.destroy(err));
        body.pipe(out);
      })
      .catch((err) => out.destroy(err));
    return out;
  };
}

/** Write package: the FZIP streamed into a multipart upload. */
export async function exportWritePackage(input: ExportInput, deps: ExportDeps): Promise<void> {
  const job = await jobFor(input, deps);
  const log = deps.logger.child({ exportId: input.exportId, phase: 'write_package' });
  const started = Date.now();
  await deps.exports.reportProgress(input.exportId, 60, 'writing_package');
  const nonce = `\u0001${randomBytes(8).toString('hex')}\u0001`;

  // selective: the ids of each reference kind the package holds (see closeSelection)
  let chosen = new Map<EntityKind, Set<string>>();
  if (job.selection) {
    const refs = new Map<EntityKind, Set<string>>();
    for (let shard = 0; shard < TRANSACTION_SHARDS; shard++) {
      const out = await deps.s3.send(new GetObjectCommand({ Bucket: deps.packagesBucket, Key: refsKey(input.exportId, shard) }));
      addReferences(refs, JSON.parse(await (out.Body as { transformToString(): Promise<string> }).transformToString()));
    }
    const items: Partial<Record<EntityKind, Map<string, Record<string, unknown>>>> = {};
    for (const kind of REFERENCE_KINDS) items[kind] = await allItems(deps, kind, job.userId);
    chosen = closeSelection(refs, job.selection, items);
  }
  // transactions were selected in their shards; each reference kind keeps the closure's ids
  const wanted = (kind: EntityKind, item: Record<string, unknown>) => kind === 'transactions' || !job.selection || chosen.get(kind)!.has(String(item[ENTITIES[kind].idField]));

  // Statement files: every transaction file (of the package) whose bytes we hold. File records
  // are few (bounded by the validator's reference limit), so their list is read first.
  const stored = await storedFiles(deps, job.userId);
  const files: StatementFileInput[] = [];
  for await (const page of deps.entities.itemsOf(FILE_KIND, job.userId)) {
    for (const item of page) {
      const key = item.s3Key;
      if (!wanted(FILE_KIND, item)) continue;
      if (typeof key === 'string' && stored.has(key) && typeof item.fileId === 'string' && typeof item.fileName === 'string') {
        files.push({ fileId: item.fileId, fileName: item.fileName, content: objectStream(deps.s3, deps.filesBucket, key) });
      }
    }
  }

  const records = (kind: EntityKind) =>
    (async function* () {
      for await (const page of deps.entities.itemsOf(kind, job.userId)) {
        for (const item of page) if (wanted(kind, item)) yield new RecordJsonText(exportRecordText(kind, item, nonce));
      }
    })();
  let written = 0;
  const transactions = (async function* () {
    for (let shard = 0; shard < TRANSACTION_SHARDS; shard++) {
      const out = await deps.s3.send(new GetObjectCommand({ Bucket: deps.packagesBucket, Key: shardKey(input.exportId, shard) }));
      const lines = createInterface({ input: out.Body as Readable, crlfDelay: Infinity });
      for await (const line of lines) {
        if (!line) continue;
        yield new RecordJsonText(line);
        if (++written % 50_000 === 0) await deps.exports.reportProgress(input.exportId, 60 + Math.min(35, (35 * written) / Math.max(1, job.counts?.transactions ?? 1)), 'writing_package');
      }
    }
  })();

  const body = new PassThrough();
  const manifest: PlainRecord = {
    backupFormatVersion: '1.0',
    backupTimestamp: new Date().toISOString(),
    userId: job.userId,
    housef3Version: '2.5.0',
    packageFormat: 'fzip',
    compatibility: { minimumVersion: '2.0.0', supportedVersions: ['2.0.0', '2.5.0'] },
    jobId: job.exportId,
    backupType: job.backupType ?? 'complete',
    includeAnalytics: job.includeAnalytics === true,
    // a selective package says what it was selected by: a replace import of it replaces only inside it
    ...(job.selection ? { selection: job.selection } : {}),
    ...(job.description !== undefined ? { description: job.description } : {}),
  };
  const uploading = upload(deps, job.packageKey, body, 'application/zip');
  let result;
  try {
    result = await writePackage(
      {
        manifest,
        ...Object.fromEntries(REFERENCE_KINDS.map((k) => [k, records(k)])),
        transactions,
        ...(job.includeAnalytics ? { analytics: await currentAnalyticsRecords(job.userId, deps.analytics) } : {}),
        files,
      },
      body,
    );
  } catch (err) {
    body.destroy(err as Error);
    await uploading.catch(() => undefined);
    throw err;
  }
  await uploading;
  await deps.exports.setCounts(input.exportId, { ...result.counts, statementFiles: files.length });
  log.info('package written', { ...result.counts, statementFiles: files.length, durationMs: Date.now() - started });
}

/** Complete export: the package's size, and the export is completed. */
export async function exportComplete(input: ExportInput, deps: ExportDeps): Promise<void> {
  const job = await jobFor(input, deps);
  const head = await deps.s3.send(new HeadObjectCommand({ Bucket: deps.packagesBucket, Key: job.packageKey }));
  await deps.exports.finish(input.exportId, 'completed', { packageSize: head.ContentLength ?? 0, currentPhase: 'completed' });
}

/** Catch target: the export ends failed with our own reason (raw errors go to the logs). */
export async function exportFail(input: ExportInput & { phase?: string; error?: { Error?: string; Cause?: string } }, deps: ExportDeps): Promise<void> {
  deps.logger.child({ exportId: input.exportId, phase: input.phase }).error('export failed', { errorName: input.error?.Error, cause: String(input.error?.Cause ?? '').slice(0, 2000) });
  const job = await deps.exports.get(input.exportId);
  if (!job || job.status !== 'processing') return;
  await deps.exports.finish(input.exportId, 'failed', {
    currentPhase: 'failed',
    errorMessage: `Export failed in phase "${input.phase ?? 'unknown'}": ${safeReason(input.error)}`,
  });
}

