/**
 * Staging: the validation phase writes each valid, normalized record to S3 as NDJSON chunks
 * (staging/{importId}/{kind}/{n}.ndjson), each line also saying whether the user already had
 * that id when the import was validated. The import phases read chunks back, so no state
 * payload ever carries a record, and a re-run of a phase sees exactly the same input and
 * reports exactly the same counts.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ENTITIES, ENTITY_KINDS, EntityKind } from '../fzip/entities';
import { PlainRecord } from '../fzip/normalize';
import { stagingPrefix } from '../jobs/package-store';

export interface StagedRecord {
  record: PlainRecord;
  /** The user already had this id when the import was validated. */
  exists: boolean;
}

export interface EntityPlan {
  records: number;
  existing: number;
}

export interface StagingManifest {
  importId: string;
  chunks: Record<EntityKind, number>;
  plan: Record<EntityKind, EntityPlan>;
  /** A few of the ids the user already has (for fail_on_conflict messages), and how many in all. */
  conflicts: Array<{ kind: EntityKind; id: string }>;
  conflictCount: number;
}

export type ExistingLookup = (kind: EntityKind, ids: string[]) => Promise<Set<string>>;

export function chunkKey(importId: string, kind: EntityKind, n: number): string {
  return `${stagingPrefix(importId)}${kind}/${n}.ndjson`;
}

function manifestKey(importId: string): string {
  return `${stagingPrefix(importId)}manifest.json`;
}

/** Bytes of NDJSON a staging chunk holds at most (besides the record count): bounds validate's memory. */
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

export class StagingWriter {
  private buffer: { kind: EntityKind; records: PlainRecord[]; lines: string[]; bytes: number } | undefined;
  private readonly chunks: Record<EntityKind, number> = { accounts: 0, categories: 0, fileMaps: 0, transactionFiles: 0, transactions: 0 };
  private readonly plan: Record<EntityKind, EntityPlan> = {
    accounts: { records: 0, existing: 0 },
    categories: { records: 0, existing: 0 },
    fileMaps: { records: 0, existing: 0 },
    transactionFiles: { records: 0, existing: 0 },
    transactions: { records: 0, existing: 0 },
  };
  private readonly conflicts: Array<{ kind: EntityKind; id: string }> = [];
  private conflictCount = 0;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly importId: string,
    private readonly existing: ExistingLookup,
    private readonly chunkSize = 5000,
    private readonly maxListedConflicts = 100,
    private readonly chunkBytes = DEFAULT_CHUNK_BYTES,
  ) {
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new Error(`staging chunk size must be a positive whole number, not ${chunkSize}`);
  }

  /**
   * Buffers a record; returns a promise only when a chunk is being written. A chunk is written
   * when it reaches `chunkSize` records or `chunkBytes` bytes, and when the kind changes, so at
   * most one chunk of one kind is ever held, whatever the number and size of records.
   */
  add(kind: EntityKind, record: PlainRecord): Promise<void> | undefined {
    if (this.buffer && this.buffer.kind !== kind) {
      const previous = this.flush();
      return previous.then(() => this.add(kind, record));
    }
    this.buffer ??= { kind, records: [], lines: [], bytes: 0 };
    // Serialized once here: sized by it, and reused for the chunk's line.
    const line = JSON.stringify(record);
    this.buffer.records.push(record);
    this.buffer.lines.push(line);
    this.buffer.bytes += line.length;
    if (this.buffer.records.length >= this.chunkSize || this.buffer.bytes >= this.chunkBytes) return this.flush();
    return undefined;
  }

  private async flush(): Promise<void> {
    const buf = this.buffer;
    this.buffer = undefined;
    if (!buf || !buf.records.length) return;
    const { kind, records } = buf;
    const idField = ENTITIES[kind].idField;
    const found = await this.existing(kind, records.map((r) => r[idField] as string));
    const lines = records.map((record, i) => {
      const exists = found.has(record[idField] as string);
      if (exists) {
        this.conflictCount++;
        if (this.conflicts.length < this.maxListedConflicts) this.conflicts.push({ kind, id: record[idField] as string });
      }
      // The StagedRecord {record, exists} written from the record's own line.
      return `{"record":${buf.lines[i]},"exists":${exists}}`;
    });
    this.plan[kind].records += records.length;
    this.plan[kind].existing += found.size;
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: chunkKey(this.importId, kind, this.chunks[kind]++),
        Body: lines.join('\n') + '\n',
        ContentType: 'application/x-ndjson',
      }),
    );
  }

  async finish(): Promise<StagingManifest> {
    await this.flush();
    const manifest: StagingManifest = {
      importId: this.importId,
      chunks: { ...this.chunks },
      plan: JSON.parse(JSON.stringify(this.plan)),
      conflicts: this.conflicts,
      conflictCount: this.conflictCount,
    };
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: manifestKey(this.importId), Body: JSON.stringify(manifest), ContentType: 'application/json' }),
    );
    return manifest;
  }
}

export class StagingReader {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly importId: string,
  ) {}

  private async text(key: string): Promise<string> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return (await out.Body?.transformToString('utf8')) ?? '';
  }

  async manifest(): Promise<StagingManifest> {
    return JSON.parse(await this.text(manifestKey(this.importId))) as StagingManifest;
  }

  async chunk(kind: EntityKind, n: number): Promise<StagedRecord[]> {
    const text = await this.text(chunkKey(this.importId, kind, n));
    return text
      .split('\n')
      .filter((l) => l.length)
      .map((l) => JSON.parse(l) as StagedRecord);
  }
}
