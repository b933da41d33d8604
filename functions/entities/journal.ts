/**
 * The write journal: before an import writes a part of a staged chunk, it stores what the user
 * had under every key it is about to write — the whole item (or "absent") and, for statement
 * files, whether an object was there and a copy of it — as one S3 object per part:
 *
 *   journal/{importId}/{kindOrder}-{kind}/{chunk:6}-{part:4}.json
 *
 * Names sort in write order, so rollback can walk them (backwards by kind). A part is written
 * once, before any of its writes, and never rewritten: a step that runs again after a crash
 * reuses it, so the before-images are always the user's, never the import's own writes.
 * Copies of replaced statement files live beside it under journal/{importId}/objects/.
 * The journal is kept as long as the job (undo needs it) and deleted with it.
 */
import { GetObjectCommand, ListObjectsV2Command, ListObjectsV2CommandOutput, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ENTITY_KINDS, EntityKind } from '../fzip/entities';
import { EntityResult } from '../jobs/job';
import { journalPrefix } from '../jobs/package-store';

export interface JournalItem {
  pk: string;
  sk: string;
  /** The item as it was before the import wrote it; null when the import created it. */
  before: Record<string, unknown> | null;
  /** replace: the import deleted the item (rollback puts it back while the key stays empty). */
  deleted?: boolean;
}

export interface JournalObject {
  /** Key in the files bucket the import wrote. */
  key: string;
  existed: boolean;
  /** What was there: its ETag and the import that had written it (object metadata). */
  etag?: string;
  beforeImportId?: string;
  /** Where the replaced object was copied to (packages bucket). */
  copyKey?: string;
  /** replace: the import deleted the object. */
  deleted?: boolean;
}

export interface JournalPart {
  kind: EntityKind;
  chunk: number;
  part: number;
  items: JournalItem[];
  objects: JournalObject[];
  /** What this part does: created, updated (replaced), skipped; and which imports' items it replaces. */
  result: EntityResult;
  overwrote: Record<string, number>;
  /** What the part's writes touch: account ids, and the dates (epoch ms) of its transactions. */
  /** What the part changed: accounts; the range of its transactions' dates; the months (UTC) of its transactions, as written and as they were. */
  touched?: { accounts: string[]; dateFrom?: number; dateTo?: number; months?: string[] };
}

function kindFolder(kind: EntityKind): string {
  return `${ENTITY_KINDS.indexOf(kind)}-${kind}`;
}

export function journalPartKey(importId: string, kind: EntityKind, chunk: number, part: number): string {
  return `${journalPrefix(importId)}${kindFolder(kind)}/${String(chunk).padStart(6, '0')}-${String(part).padStart(4, '0')}.json`;
}

/** Where a replaced statement file is kept (its record id is unique within the import). */
export function objectCopyKey(importId: string, fileId: string): string {
  return `${journalPrefix(importId)}objects/${fileId}`;
}

export class Journal {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    readonly importId: string,
  ) {}

  private async list(prefix: string, startAfter?: string, max = 1000): Promise<{ keys: string[]; more: boolean }> {
    const out: ListObjectsV2CommandOutput = await this.s3.send(
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, StartAfter: startAfter, MaxKeys: max }),
    );
    return { keys: (out.Contents ?? []).map((o) => o.Key as string), more: out.IsTruncated === true };
  }

  /** Parts already written for one staged chunk (a step running again reuses them). */
  async partsOf(kind: EntityKind, chunk: number): Promise<Map<number, string>> {
    const prefix = `${journalPrefix(this.importId)}${kindFolder(kind)}/${String(chunk).padStart(6, '0')}-`;
    const found = new Map<number, string>();
    let after: string | undefined;
    for (;;) {
      const page = await this.list(prefix, after);
      for (const k of page.keys) found.set(Number(k.slice(prefix.length, prefix.length + 4)), k);
      if (!page.more || !page.keys.length) return found;
      after = page.keys[page.keys.length - 1];
    }
  }

  /**
   * Writes a part unless it exists (S3 conditional write, If-None-Match). Returns the part that
   * was there first when another writer won; undefined when this one was written.
   */
  async writeOnce(part: JournalPart): Promise<JournalPart | undefined> {
    const key = journalPartKey(this.importId, part.kind, part.chunk, part.part);
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(part), ContentType: 'application/json', IfNoneMatch: '*' }));
      return undefined;
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== 412 && status !== 409) throw err;
      return this.read(key);
    }
  }

  async read(key: string): Promise<JournalPart> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return JSON.parse((await out.Body?.transformToString('utf8')) ?? '{}') as JournalPart;
  }

  /** Up to `max` part keys of one kind, in write order, after `startAfter`. */
  async partKeys(kind: EntityKind, startAfter?: string, max = 100): Promise<{ keys: string[]; more: boolean }> {
    return this.list(`${journalPrefix(this.importId)}${kindFolder(kind)}/`, startAfter, max);
  }
}
