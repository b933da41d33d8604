/**
 * Staging: the validation phase writes each valid, normalized record to S3 as NDJSON chunks
 * (staging/{importId}/{kind}/{n}.ndjson), each line also saying how it compares with what the
 * user had when the import was validated: new, unchanged (the user's item holds exactly this
 * record), or a conflict (same id, other content). Conflicts are staged with their field-level
 * differences (staging/{importId}/conflicts/{kind}/{n}.ndjson) for the preview, whatever their
 * number. The import phases read chunks back, so no state payload ever carries a record.
 *
 * Selective imports: transactions outside the filter are not staged; the reference records they
 * need (accounts, categories with their ancestors, transaction files, file maps) are computed
 * at the end and written as staging/{importId}/selection.json; the import phases write only those.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ENTITIES, ENTITY_KINDS, EntityKind, zeroCounts } from '../fzip/entities';
import { PlainRecord } from '../fzip/normalize';
import { stagingPrefix } from '../jobs/package-store';
import type { EntityResult } from '../jobs/job';
import { FieldDifference, listedValue, recordDifferences } from './compare';
import { NameBook, NameOf, RecordSummary, summarize } from './record-summary';

export interface StagedRecord {
  record: PlainRecord;
  /** The user already had this id when the import was validated. */
  exists: boolean;
  /** ... holding exactly this record. */
  same?: boolean;
}

export interface EntityPlan {
  records: number;
  existing: number;
  /** Existing and identical: never rewritten. */
  unchanged: number;
  /** Existing and different. */
  conflicts: number;
  /** replace: the user's records the package does not hold (deleted by the import). */
  delete?: number;
}

/**
 * Whether an import with this plan writes nothing at all: every record is already held exactly
 * (or, skipping existing records, every record exists) and nothing is to be deleted. Then the
 * import phases are not run: the import completes from its plan (the same backup twice is a
 * no-op that costs one validation).
 */
export function writesNothing(plan: Record<EntityKind, EntityPlan>, strategy: string): boolean {
  return ENTITY_KINDS.every((k) => {
    const p = plan[k];
    const writes = p.records - p.existing + (strategy === 'skip_existing' ? 0 : p.conflicts) + (p.delete ?? 0);
    return writes === 0;
  });
}

/** The results of an import that wrote nothing, as its plan counted them. */
export function resultsOfPlan(plan: Record<EntityKind, EntityPlan>, strategy: string): Record<EntityKind, EntityResult> {
  return Object.fromEntries(
    ENTITY_KINDS.map((k) => [k, { created: 0, updated: 0, skipped: strategy === 'skip_existing' ? plan[k].conflicts : 0, unchanged: plan[k].unchanged, errors: 0 }]),
  ) as Record<EntityKind, EntityResult>;
}

/** Chunks whose lookups and writes may run while the validator reads on (each holds up to chunkSize records). */
export const MAX_CHUNKS_IN_FLIGHT = 3;

export interface ConflictListing {
  kind: EntityKind;
  id: string;
  /** replace: the user's record the package does not hold; the import deletes it (no fields). */
  action?: 'delete';
  /** The user's record as a person knows it (name, or a transaction's date, description, account, amount). */
  summary?: RecordSummary;
  fields: Array<{ field: string; current: unknown; incoming: unknown }>;
}

/** Which records a selective import writes: kinds left out, and the ids of reference kinds it needs. */
export interface Selection {
  kinds: EntityKind[];
  /** Per reference kind, the ids to write; absent: every staged record of the kind. */
  ids: Partial<Record<EntityKind, string[]>>;
}

export interface StagingManifest {
  importId: string;
  chunks: Record<EntityKind, number>;
  plan: Record<EntityKind, EntityPlan>;
  /** A few of the ids whose records differ from the user's (for fail_on_conflict messages), and how many in all. */
  conflicts: Array<{ kind: EntityKind; id: string }>;
  conflictCount: number;
  /** Chunks of staged conflicts per kind: [chunk number, how many] (what GET …/conflicts pages through). */
  conflictChunks: Record<EntityKind, Array<[number, number]>>;
  /** replace: chunks of ids to delete per kind (staging/{importId}/deletions/{kind}/{n}.ndjson). */
  deletions?: Record<EntityKind, number>;
  /** Transactions the filter left out. */
  filteredOut?: number;
  selective?: boolean;
}

/** Differences of a record whose item is identical that the item alone cannot show (statement bytes). */
export type MoreDifferences = (kind: EntityKind, record: PlainRecord) => Promise<FieldDifference[]>;

/** The user's current items under these ids (whole), by id. */
export type ExistingLookup = (kind: EntityKind, ids: string[]) => Promise<Map<string, Record<string, unknown>>>;

export function chunkKey(importId: string, kind: EntityKind, n: number): string {
  return `${stagingPrefix(importId)}${kind}/${n}.ndjson`;
}

/** Conflict listing chunk numbers of deletions (after the staged chunks' numbers). */
export const DELETION_LISTING_BASE = 1_000_000;

export function deletionChunkKey(importId: string, kind: EntityKind, n: number): string {
  return `${stagingPrefix(importId)}deletions/${kind}/${n}.ndjson`;
}

export function conflictChunkKey(importId: string, kind: EntityKind, n: number): string {
  return `${stagingPrefix(importId)}conflicts/${kind}/${n}.ndjson`;
}

function manifestKey(importId: string): string {
  return `${stagingPrefix(importId)}manifest.json`;
}

function selectionKey(importId: string): string {
  return `${stagingPrefix(importId)}selection.json`;
}

/** Bytes of NDJSON a staging chunk holds at most (besides the record count): bounds validate's memory. */
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

const zeroPlan = (): EntityPlan => ({ records: 0, existing: 0, unchanged: 0, conflicts: 0 });

/** Whether a selective import writes the record (kinds it leaves out: none; reference kinds: their selected ids). */
export function selectedIds(selection: Selection): (kind: EntityKind, id: string) => boolean {
  const sets = new Map<EntityKind, Set<string>>();
  for (const [kind, ids] of Object.entries(selection.ids)) if (ids) sets.set(kind as EntityKind, new Set(ids));
  return (kind, id) => selection.kinds.includes(kind) && (sets.get(kind)?.has(id) ?? true);
}

export class StagingWriter {
  private buffer: { kind: EntityKind; records: PlainRecord[]; lines: string[]; bytes: number } | undefined;
  private readonly chunks: Record<EntityKind, number> = zeroCounts();
  private readonly plan = Object.fromEntries(ENTITY_KINDS.map((k) => [k, zeroPlan()])) as Record<EntityKind, EntityPlan>;
  private readonly conflicts: Array<{ kind: EntityKind; id: string }> = [];
  private readonly conflictChunks = Object.fromEntries(ENTITY_KINDS.map((k) => [k, []])) as unknown as Record<EntityKind, Array<[number, number]>>;
  private conflictCount = 0;
  /** The chunks started and not yet written, in order; the first failure of one. */
  private tail: Promise<void> = Promise.resolve();
  private readonly inFlight: Array<Promise<void>> = [];
  private failure?: Error;
  /** Reference kinds: how each staged id compared (to recount the plan for a selection). */
  private readonly classes = new Map<EntityKind, Map<string, 'new' | 'same' | 'conflict'>>();
  /** The package's account and category names, for the summaries of conflicting records. */
  readonly names = new NameBook();

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly importId: string,
    private readonly existing: ExistingLookup,
    private readonly chunkSize = 5000,
    private readonly maxListedConflicts = 100,
    private readonly chunkBytes = DEFAULT_CHUNK_BYTES,
    /** Differences beyond the item's fields (a statement file's bytes), asked only of identical items. */
    private readonly moreDifferences?: MoreDifferences,
  ) {
    if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new Error(`staging chunk size must be a positive whole number, not ${chunkSize}`);
  }

  /**
   * Buffers a record; returns a promise only when the caller must wait. A chunk is written when
   * it reaches `chunkSize` records or `chunkBytes` bytes, and when the kind changes. Its existence
   * lookup starts at once and runs while the caller reads on (the validator is not bound by the
   * lookups' round trips); chunks are compared and written in order, one after another, and at
   * most MAX_CHUNKS_IN_FLIGHT are held, whatever the number and size of records.
   */
  add(kind: EntityKind, record: PlainRecord): Promise<void> | undefined {
    this.names.note(kind, record);
    let wait: Promise<void> | undefined;
    if (this.buffer && this.buffer.kind !== kind) wait = this.flush();
    this.buffer ??= { kind, records: [], lines: [], bytes: 0 };
    // Serialized once here: sized by it, and reused for the chunk's line.
    const line = JSON.stringify(record);
    this.buffer.records.push(record);
    this.buffer.lines.push(line);
    this.buffer.bytes += line.length;
    if (this.buffer.records.length >= this.chunkSize || this.buffer.bytes >= this.chunkBytes) {
      const full = this.flush();
      // both observed: a failure of either reaches the caller, none goes unhandled
      if (full) wait = wait ? Promise.all([wait, full]).then(() => undefined) : full;
    }
    return wait;
  }

  /**
   * Starts writing the buffered chunk: its lookup now, its comparison and writes after the chunks
   * before it. Returns a promise when the caller must wait: too many chunks in flight, or one failed.
   */
  private flush(): Promise<void> | undefined {
    const buf = this.buffer;
    this.buffer = undefined;
    if (this.failure) return Promise.reject(this.failure);
    if (!buf || !buf.records.length) return undefined;
    const n = this.chunks[buf.kind]++;
    const found = this.existing(buf.kind, buf.records.map((r) => r[ENTITIES[buf.kind].idField] as string));
    found.catch(() => undefined); // awaited in order below; a failure is kept for the caller
    // names as noted up to the chunk's last record: its summaries do not depend on how far the caller has read since
    const nameOf = this.names.nameAsOf(this.names.noted);
    const done = this.tail.then(() => this.writeChunk(buf, n, found, nameOf));
    this.tail = done.catch((err: unknown) => {
      this.failure ??= err as Error;
    });
    this.inFlight.push(this.tail);
    if (this.inFlight.length < MAX_CHUNKS_IN_FLIGHT) return undefined;
    const oldest = this.inFlight.shift()!;
    return oldest.then(() => (this.failure ? Promise.reject(this.failure) : undefined));
  }

  /** Waits until every chunk started is written; throws the first failure. */
  async drain(): Promise<void> {
    await this.flush();
    await this.tail;
    this.inFlight.length = 0;
    if (this.failure) throw this.failure;
  }

  private async writeChunk(
    buf: NonNullable<StagingWriter['buffer']>,
    n: number,
    lookup: Promise<Map<string, Record<string, unknown>>>,
    nameOf: NameOf,
  ): Promise<void> {
    if (this.failure) return; // a chunk before failed: the staging is abandoned
    const { kind, records } = buf;
    const idField = ENTITIES[kind].idField;
    const found = await lookup;
    const conflictLines: string[] = [];
    const classes = kind === 'transactions' ? undefined : (this.classes.get(kind) ?? this.classes.set(kind, new Map()).get(kind));
    const lines: string[] = [];
    for (const [i, record] of records.entries()) {
      const id = record[idField] as string;
      const current = found.get(id);
      let same = false;
      if (current) {
        this.plan[kind].existing++;
        let fields = recordDifferences(kind, record, current);
        if (!fields.length && this.moreDifferences) fields = await this.moreDifferences(kind, record);
        same = fields.length === 0;
        if (same) this.plan[kind].unchanged++;
        else {
          // Only a record that differs from what the user has is a conflict.
          this.plan[kind].conflicts++;
          this.conflictCount++;
          if (this.conflicts.length < this.maxListedConflicts) this.conflicts.push({ kind, id });
          const listing: ConflictListing = {
            kind,
            id,
            summary: summarize(kind, current, nameOf),
            fields: fields.map((f) => ({ field: f.field, current: listedValue(f.current), incoming: listedValue(f.incoming) })),
          };
          conflictLines.push(JSON.stringify(listing));
        }
      }
      classes?.set(id, !current ? 'new' : same ? 'same' : 'conflict');
      // The StagedRecord {record, exists, same} written from the record's own line.
      lines.push(`{"record":${buf.lines[i]},"exists":${current !== undefined},"same":${same}}`);
    }
    this.plan[kind].records += records.length;
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: chunkKey(this.importId, kind, n), Body: lines.join('\n') + '\n', ContentType: 'application/x-ndjson' }),
    );
    if (conflictLines.length) {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: conflictChunkKey(this.importId, kind, n),
          Body: conflictLines.join('\n') + '\n',
          ContentType: 'application/x-ndjson',
        }),
      );
      this.conflictChunks[kind].push([n, conflictLines.length]);
    }
  }

  /** The conflict chunks rewritten to hold only records of the selection (what GET …/conflicts lists). */
  private async selectedConflictChunks(selection: Selection, chosen: (kind: EntityKind, id: string) => boolean): Promise<Record<EntityKind, Array<[number, number]>>> {
    const reader = new StagingReader(this.s3, this.bucket, this.importId);
    const out = Object.fromEntries(ENTITY_KINDS.map((k) => [k, []])) as unknown as Record<EntityKind, Array<[number, number]>>;
    for (const kind of ENTITY_KINDS) {
      if (!selection.kinds.includes(kind)) continue; // left out: none of its records can conflict
      if (!selection.ids[kind]) {
        out[kind] = [...this.conflictChunks[kind]]; // every staged record of the kind is written
        continue;
      }
      for (const [n, count] of this.conflictChunks[kind]) {
        const listed = await reader.conflictChunk(kind, n);
        const kept = listed.filter((c) => chosen(kind, c.id));
        if (!kept.length) continue;
        if (kept.length !== count) {
          await this.s3.send(
            new PutObjectCommand({
              Bucket: this.bucket,
              Key: conflictChunkKey(this.importId, kind, n),
              Body: kept.map((c) => JSON.stringify(c)).join('\n') + '\n',
              ContentType: 'application/x-ndjson',
            }),
          );
        }
        out[kind].push([n, kept.length]);
      }
    }
    return out;
  }

  private readonly deletions = Object.fromEntries(ENTITY_KINDS.map((k) => [k, 0])) as Record<EntityKind, number>;
  private readonly deleteCounts = Object.fromEntries(ENTITY_KINDS.map((k) => [k, 0])) as Record<EntityKind, number>;

  /** replace: stages one chunk of the user's records of a kind that the import deletes (before finish): their ids, and items to summarize. */
  async stageDeletions(kind: EntityKind, items: Array<{ id: string; item?: Record<string, unknown> }>): Promise<void> {
    await this.drain(); // listed after the conflicts of every staged chunk
    if (!items.length) return;
    const ids = items.map((i) => i.id);
    const n = this.deletions[kind]++;
    this.deleteCounts[kind] += ids.length;
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: deletionChunkKey(this.importId, kind, n), Body: ids.map((id) => JSON.stringify(id)).join('\n') + '\n', ContentType: 'application/x-ndjson' }),
    );
    // listed with the conflicts, after them (the preview shows them; a "skip" decision keeps one)
    const listed = DELETION_LISTING_BASE + n;
    const lines = items.map(({ id, item }) =>
      JSON.stringify({ kind, id, action: 'delete', ...(item ? { summary: summarize(kind, item, this.names.nameOf) } : {}), fields: [] } satisfies ConflictListing),
    );
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: conflictChunkKey(this.importId, kind, listed), Body: lines.join('\n') + '\n', ContentType: 'application/x-ndjson' }),
    );
    this.conflictChunks[kind].push([listed, ids.length]);
  }

  async finish(selection?: Selection, filteredOut = 0): Promise<StagingManifest> {
    await this.drain();
    const plan = JSON.parse(JSON.stringify(this.plan)) as Record<EntityKind, EntityPlan>;
    if (selection) {
      // The plan counts what the selective import writes: kinds left out count nothing, reference
      // kinds only their selected ids (transactions outside the filter were never staged).
      for (const kind of ENTITY_KINDS) {
        if (!selection.kinds.includes(kind)) {
          plan[kind] = zeroPlan();
          continue;
        }
        const ids = selection.ids[kind];
        const classes = this.classes.get(kind);
        if (!ids || !classes) continue;
        const p = zeroPlan();
        for (const id of ids) {
          const c = classes.get(id);
          if (!c) continue;
          p.records++;
          if (c !== 'new') p.existing++;
          if (c === 'same') p.unchanged++;
          if (c === 'conflict') p.conflicts++;
        }
        plan[kind] = p;
      }
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: selectionKey(this.importId), Body: JSON.stringify(selection), ContentType: 'application/json' }));
    }
    const chosen = selection ? selectedIds(selection) : undefined;
    const manifest: StagingManifest = {
      importId: this.importId,
      chunks: { ...this.chunks },
      plan,
      // With a selection: only the records it writes can conflict (the plan's existing ids).
      conflicts: chosen ? this.conflicts.filter((c) => chosen(c.kind, c.id)) : this.conflicts,
      conflictCount: chosen ? ENTITY_KINDS.reduce((a, k) => a + plan[k].conflicts, 0) : this.conflictCount,
      conflictChunks: selection && chosen ? await this.selectedConflictChunks(selection, chosen) : this.conflictChunks,
      ...(selection ? { selective: true, filteredOut } : {}),
    };
    if (ENTITY_KINDS.some((k) => this.deletions[k] > 0)) {
      manifest.deletions = { ...this.deletions };
      for (const k of ENTITY_KINDS) manifest.plan[k].delete = this.deleteCounts[k];
    }
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

  /** An NDJSON object's lines, parsed. */
  private async ndjson<T>(key: string): Promise<T[]> {
    return (await this.text(key))
      .split('\n')
      .filter((l) => l.length)
      .map((l) => JSON.parse(l) as T);
  }

  chunk(kind: EntityKind, n: number): Promise<StagedRecord[]> {
    return this.ndjson<StagedRecord>(chunkKey(this.importId, kind, n));
  }

  /** replace: one chunk of ids to delete. */
  deletionChunk(kind: EntityKind, n: number): Promise<string[]> {
    return this.ndjson<string>(deletionChunkKey(this.importId, kind, n));
  }

  /** The staged conflicts of one chunk, with their field differences. */
  conflictChunk(kind: EntityKind, n: number): Promise<ConflictListing[]> {
    return this.ndjson<ConflictListing>(conflictChunkKey(this.importId, kind, n));
  }

  /** The selection of a selective import (undefined: the whole package). */
  async selection(): Promise<Selection | undefined> {
    try {
      return JSON.parse(await this.text(selectionKey(this.importId))) as Selection;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return undefined;
      throw err;
    }
  }
}
