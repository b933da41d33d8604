/**
 * Statement files: the package's bytes of a transaction file record, what is at its key in the
 * files bucket (and which import wrote it), and whether the two hold the same bytes. A
 * transaction file is unchanged only when its item *and* its bytes equal the package's.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PlainRecord } from '../fzip/normalize';
import { resolveLimits } from '../fzip/limits';
import { openPackage, PackageReader } from '../fzip/package-reader';
import { fileEntryName } from '../fzip/zip/layout';
import { S3RangeSource } from '../shared/s3-range-source';
import type { FieldDifference } from '../entities/compare';
import type { ImportJob } from '../jobs/job';
import type { WorkflowDeps, WorkflowInput } from './context';

/** Object metadata naming the import that wrote a statement file (rollback checks it). */
export const IMPORT_ID_METADATA = 'import-id';
/** Object metadata holding the sha256 (hex) of the bytes, set when an import writes them. */
export const SHA256_METADATA = 'sha256';
/** The field a conflict names when only the statement file's bytes differ. */
export const BYTES_FIELD = '(statement file bytes)';

function notFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
}

/** What is at a files-bucket key now (its ETag, size, writer and recorded sha256), or undefined. */
export async function headFile(s3: S3Client, bucket: string, key: string): Promise<{ etag?: string; importId?: string; size?: number; sha256?: string } | undefined> {
  try {
    const out = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { etag: out.ETag, importId: out.Metadata?.[IMPORT_ID_METADATA], size: out.ContentLength, sha256: out.Metadata?.[SHA256_METADATA] };
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}

export interface Digest {
  size: number;
  sha256: string;
}

export async function digestOf(stream: Readable): Promise<Digest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { size, sha256: hash.digest('hex') };
}

/** The digest of the object at a key (read whole, unless its metadata records it), or undefined. */
export async function objectDigest(s3: S3Client, bucket: string, key: string): Promise<Digest | undefined> {
  const head = await headFile(s3, bucket, key);
  if (!head) return undefined;
  if (head.sha256 && head.size !== undefined) return { size: head.size, sha256: head.sha256 };
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return await digestOf(out.Body as Readable);
  } catch (err) {
    if (notFound(err)) return undefined;
    throw err;
  }
}

export function statementKey(userId: string, record: PlainRecord): string {
  return `${userId}/${record.fileId as string}/${record.fileName as string}`;
}

/** Statement files of a package, opened once, pinned to the validated version. */
export class StatementSource {
  private reader?: PackageReader;
  private byId?: Map<string, Array<{ entryName: string; size: number }>>;
  private readonly digests = new Map<string, Promise<Digest>>();

  constructor(
    private readonly job: Pick<ImportJob, 'packageETag' | 'packageFormat'>,
    private readonly input: Pick<WorkflowInput, 'bucket' | 'packageKey'>,
    private readonly deps: Pick<WorkflowDeps, 's3' | 'limits'>,
  ) {}

  private async open(): Promise<void> {
    if (this.reader) return;
    const source = await S3RangeSource.open(this.deps.s3, this.input.bucket, this.input.packageKey, this.job.packageETag);
    this.reader = await openPackage(source, this.job.packageFormat, resolveLimits(this.deps.limits), () => undefined);
    this.byId = new Map();
    for (const f of this.reader.statementFiles()) this.byId.set(f.fileId, [...(this.byId.get(f.fileId) ?? []), { entryName: f.entryName, size: f.size }]);
  }

  /** The entry holding a file record's bytes (the exact name first), if the package has one. */
  async entryFor(record: PlainRecord): Promise<{ entryName: string; size: number } | undefined> {
    await this.open();
    const entries = this.byId?.get(record.fileId as string) ?? [];
    return entries.find((e) => e.entryName === fileEntryName(record.fileId as string, record.fileName as string)) ?? entries[0];
  }

  async bytes(entryName: string): Promise<Readable> {
    await this.open();
    return (this.reader as PackageReader).openStatementFile(entryName);
  }

  /** The sha256 and size of an entry's bytes (read once per source). */
  digest(entryName: string): Promise<Digest> {
    let d = this.digests.get(entryName);
    if (!d) {
      d = this.bytes(entryName).then(digestOf);
      this.digests.set(entryName, d);
    }
    return d;
  }

  /**
   * How a record's statement bytes differ from the object at its key: undefined when the package
   * carries no bytes for it or the object holds exactly them; otherwise the difference as a
   * conflict lists it (size and sha256 on each side; null where there is no object).
   */
  async bytesDifference(record: PlainRecord, s3: S3Client, filesBucket: string, key: string): Promise<FieldDifference | undefined> {
    const entry = await this.entryFor(record);
    if (!entry) return undefined;
    const head = await headFile(s3, filesBucket, key);
    if (head && head.size !== undefined && head.size !== entry.size) {
      // Sizes differ: the bytes do; the package side is hashed only to show it.
      return { field: BYTES_FIELD, current: { size: head.size, ...(head.sha256 ? { sha256: head.sha256 } : {}) }, incoming: await this.digest(entry.entryName) };
    }
    const current = head ? await objectDigest(s3, filesBucket, key) : undefined;
    const incoming = await this.digest(entry.entryName);
    if (current && current.size === incoming.size && current.sha256 === incoming.sha256) return undefined;
    return { field: BYTES_FIELD, current: current ?? null, incoming };
  }

  close(): void {
    this.reader?.close();
  }
}
