/**
 * The undo ledger: what a rolled-back import leaves behind so that later undos put back what
 * was there before *them*, through any chain of undos and after the rolled-back job (and its
 * journal) is deleted. It lives beside the journals, per user, and outlives the jobs:
 *
 *   ledger/{userId}/{importId}/rolled-back.json          the import's writes were undone
 *   ledger/{userId}/{importId}/items/{kind}/{sha256(sk)}.json   a key its rollback left as it was
 *   ledger/{userId}/{importId}/objects/{sha256(key)}.json       a statement file its rollback left
 *   ledger/{userId}/{importId}/bytes/{sha256(key)}              that file's bytes before the import
 *   ledger/{userId}/deleted/{kind|objects}/{sha256(key)}.json   the replace import that last deleted a key
 *
 * A rollback (undo, cancel, failure) leaves a key alone when a later import wrote it since; it
 * then records here what it would have put back (its resolved before-image). When that later
 * import is undone, its own before-image names the rolled-back import; instead of bringing
 * that import's data back, it follows the ledger to what was there before it. A key a later
 * import *created* may have been absent only because a `replace` import deleted it: the
 * deletion marks say which, so undoing both still ends with the record the user had.
 */
import { createHash } from 'node:crypto';
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { EntityKind } from '../fzip/entities';
import { JournalObject } from './journal';
import { addReferences, References } from '../fzip/references';

export const LEDGER_PREFIX = 'ledger/';

function segment(s: string): string {
  return encodeURIComponent(s);
}

/** A key as one path segment of fixed alphabet (item and file keys hold any characters). */
function hashed(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** CopyObject's CopySource: bucket and URL-encoded key ("/" kept). */
export function copySource(bucket: string, key: string): string {
  return `${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
}

export function ledgerPrefix(userId: string, importId: string): string {
  return `${LEDGER_PREFIX}${segment(userId)}/${segment(importId)}/`;
}

export interface LedgerItem {
  pk: string;
  sk: string;
  /** What the rolled-back import would have put back: the item, or null for "absent". */
  before: Record<string, unknown> | null;
}

function missing(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

/** Ids of reference records, by kind, that records left in place by a rollback refer to. */
export type KeptReferences = References;

export class UndoLedger {
  /** Per import: whether it was rolled back (asked once per ledger). */
  private readonly rolledBackCache = new Map<string, Promise<boolean>>();

  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    readonly userId: string,
  ) {}

  private async json<T>(key: string): Promise<T | undefined> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return JSON.parse((await out.Body?.transformToString('utf8')) ?? 'null') as T;
    } catch (err) {
      if (missing(err)) return undefined;
      throw err;
    }
  }

  private put(key: string, value: unknown): Promise<unknown> {
    return this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json' }));
  }

  /** Records that an import's writes were undone (rolled back, canceled or undone). */
  async markRolledBack(importId: string, outcome: string): Promise<void> {
    await this.put(`${ledgerPrefix(this.userId, importId)}rolled-back.json`, { importId, outcome, at: Date.now() });
    this.rolledBackCache.set(importId, Promise.resolve(true));
  }

  /** Whether an import's writes were undone: its mark, or (for imports before the ledger) what its job says. */
  isRolledBack(importId: string, jobSays?: (importId: string) => Promise<boolean>): Promise<boolean> {
    let p = this.rolledBackCache.get(importId);
    if (!p) {
      p = (async () => {
        try {
          await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: `${ledgerPrefix(this.userId, importId)}rolled-back.json` }));
          return true;
        } catch (err) {
          if (!missing(err)) throw err;
        }
        return jobSays ? jobSays(importId) : false;
      })();
      this.rolledBackCache.set(importId, p);
    }
    return p;
  }

  /**
   * A rollback that leaves records a later import changed (a forced undo) records the ids those
   * records refer to, so it keeps them: an account, category, file map or statement file the
   * undone import created stays while a record left in place needs it.
   */
  async recordKeptReferences(importId: string, part: string, refs: KeptReferences): Promise<void> {
    await this.put(`${ledgerPrefix(this.userId, importId)}kept-references/${hashed(part)}.json`, refs);
  }

  /** Every id the records a rollback left in place refer to, by kind. */
  async keptReferences(importId: string): Promise<Map<EntityKind, Set<string>>> {
    const out = new Map<EntityKind, Set<string>>();
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${ledgerPrefix(this.userId, importId)}kept-references/`, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const refs = o.Key ? await this.json<KeptReferences>(o.Key) : undefined;
        if (refs) addReferences(out, refs);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  private itemKey(importId: string, kind: EntityKind, sk: string): string {
    return `${ledgerPrefix(this.userId, importId)}items/${kind}/${hashed(sk)}.json`;
  }

  private objectKey(importId: string, fileKey: string): string {
    return `${ledgerPrefix(this.userId, importId)}objects/${hashed(fileKey)}.json`;
  }

  async recordItem(importId: string, kind: EntityKind, item: LedgerItem): Promise<void> {
    await this.put(this.itemKey(importId, kind, item.sk), item);
  }

  async item(importId: string, kind: EntityKind, sk: string): Promise<LedgerItem | undefined> {
    return this.json<LedgerItem>(this.itemKey(importId, kind, sk));
  }

  /**
   * Records a statement file the rollback left; its bytes before the import are copied into the
   * ledger (the journal's copy goes with the job).
   */
  async recordObject(importId: string, o: JournalObject, journalBucket: string): Promise<void> {
    const entry: JournalObject = { key: o.key, existed: o.existed, etag: o.etag, beforeImportId: o.beforeImportId };
    if (o.existed && o.copyKey) {
      entry.copyKey = `${ledgerPrefix(this.userId, importId)}bytes/${hashed(o.key)}`;
      if (entry.copyKey !== o.copyKey) {
        await this.s3.send(new CopyObjectCommand({ Bucket: this.bucket, Key: entry.copyKey, CopySource: copySource(journalBucket, o.copyKey), MetadataDirective: 'COPY' }));
      }
    }
    await this.put(this.objectKey(importId, o.key), entry);
  }

  async object(importId: string, fileKey: string): Promise<JournalObject | undefined> {
    return this.json<JournalObject>(this.objectKey(importId, fileKey));
  }

  private deletedKey(space: EntityKind | 'objects', key: string): string {
    return `${LEDGER_PREFIX}${segment(this.userId)}/deleted/${space}/${hashed(key)}.json`;
  }

  /** replace: marks that this import deletes a key (an item of a kind, or a statement file). */
  async markDeleted(importId: string, space: EntityKind | 'objects', key: string): Promise<void> {
    await this.put(this.deletedKey(space, key), { importId });
  }

  private readonly anyDeleted = new Map<string, Promise<boolean>>();

  /** The replace import that last deleted a key, if any (one listing per kind says when there are none). */
  async deletedBy(space: EntityKind | 'objects', key: string): Promise<string | undefined> {
    let any = this.anyDeleted.get(space);
    if (!any) {
      any = this.s3
        .send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `${LEDGER_PREFIX}${segment(this.userId)}/deleted/${space}/`, MaxKeys: 1 }))
        .then((out) => (out.KeyCount ?? 0) > 0);
      this.anyDeleted.set(space, any);
    }
    if (!(await any)) return undefined;
    return (await this.json<{ importId: string }>(this.deletedKey(space, key)))?.importId;
  }
}
