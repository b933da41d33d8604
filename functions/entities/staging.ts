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

/** Parents before children; categories whose parent is missing or in a cycle keep file order at the end. */
export function parentsFirst(categories: PlainRecord[]): PlainRecord[] {
  const byId = new Map(categories.map((c) => [c.categoryId as string, c]));
  const depthOf = (c: PlainRecord): number => {
    let depth = 0;
    const seen = new Set<string>();
    let p = c.parentCategoryId as string | undefined;
    while (p && byId.has(p) && !seen.has(p)) {
      seen.add(p);
      depth++;
      p = byId.get(p)?.parentCategoryId as string | undefined;
    }
    return depth;
  };
  const withDepth = categories.map((c, i) => ({ c, i, d: depthOf(c) }));
  withDepth.sort((a, b) => a.d - b.d || a.i - b.i);
  return withDepth.map((x) => x.c);
}

export class StagingWriter {
  private readonly buffers = new Map<EntityKind, PlainRecord[]>();
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
  ) {}

  /** Buffers a record; returns a promise only when a chunk is being written. */
  add(kind: EntityKind, record: PlainRecord): Promise<void> | undefined {
    const buf = this.buffers.get(kind) ?? [];
    buf.push(record);
    this.buffers.set(kind, buf);
    // Categories are written in one ordered pass at the end (parents before children).
    if (kind !== 'categories' && buf.length >= this.chunkSize) return this.flush(kind);
    return undefined;
  }

  private async flush(kind: EntityKind): Promise<void> {
    let records = this.buffers.get(kind) ?? [];
    this.buffers.set(kind, []);
    if (!records.length) return;
    if (kind === 'categories') records = parentsFirst(records);
    for (let i = 0; i < records.length; i += this.chunkSize) {
      const part = records.slice(i, i + this.chunkSize);
      const idField = ENTITIES[kind].idField;
      const found = await this.existing(kind, part.map((r) => r[idField] as string));
      const lines = part.map((record) => {
        const exists = found.has(record[idField] as string);
        if (exists) {
          this.conflictCount++;
          if (this.conflicts.length < this.maxListedConflicts) this.conflicts.push({ kind, id: record[idField] as string });
        }
        return JSON.stringify({ record, exists } satisfies StagedRecord);
      });
      this.plan[kind].records += part.length;
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
  }

  async finish(): Promise<StagingManifest> {
    for (const kind of ENTITY_KINDS) await this.flush(kind);
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
