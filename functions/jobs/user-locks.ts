/**
 * One item per user in the job table (key `user#{userId}`) that makes two rules exact under
 * concurrency, where a count over an eventually consistent index is not:
 *
 *  - `unfinished`: a string set of the user's unfinished import ids. A new job is admitted with
 *    one conditional `ADD` (`size(unfinished) < max`), so 20 parallel creates never pass the
 *    limit. Ids are removed with `DELETE` (idempotent) when a job finishes; an id whose job has
 *    finished or vanished is pruned when the limit is hit, so a lost removal heals itself.
 *  - `activeImportId` and `queued`: the user's import lock and its waiting line. Only the
 *    holder validates and writes; others wait in `queued` and are started, oldest first, when
 *    the holder releases the lock. A lock whose holder is no longer running is taken over.
 *
 * The item has no `userId`, `status` or `expiryPartition`, so it appears in no index.
 */
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../shared/conditional-write';
import { ImportJob, isFinished } from './job';

/** The key of a user's item in a table keyed by `keyName` (importId in the job table, exportId in the export table). */
export function userItemKey(userId: string, keyName = 'importId'): Record<string, string> {
  return { [keyName]: `user#${userId}` };
}

export interface UserLocksState {
  unfinished: string[];
  activeImportId?: string;
  /** Epoch ms when the lock was taken. */
  lockedAt?: number;
  queued: string[];
}

/**
 * A lock whose holder has finished (or vanished) is taken over only after this long: between
 * taking the lock and its first status change a holder briefly looks finished (an undo starting
 * from `completed`), and must not lose the lock then.
 */
export const LOCK_TAKEOVER_AFTER_MS = 60_000;

type JobLookup = (importId: string) => Promise<ImportJob | undefined>;

export class UserLocks {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly lookup: JobLookup,
    private readonly keyName = 'importId',
    private readonly now: () => number = Date.now,
  ) {}

  private key(userId: string): Record<string, string> {
    return userItemKey(userId, this.keyName);
  }

  async get(userId: string): Promise<UserLocksState> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: this.key(userId), ConsistentRead: true }));
    const item = out.Item ?? {};
    return {
      unfinished: [...((item.unfinished as Set<string> | undefined) ?? [])],
      activeImportId: item.activeImportId as string | undefined,
      lockedAt: item.lockedAt as number | undefined,
      queued: [...((item.queued as Set<string> | undefined) ?? [])],
    };
  }

  /** Admits one more unfinished import; false when the user is at the limit. */
  async claimSlot(userId: string, importId: string, max: number): Promise<boolean> {
    const claim = () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(userId),
          UpdateExpression: 'ADD unfinished :id',
          ConditionExpression: 'attribute_not_exists(unfinished) OR size(unfinished) < :max OR contains(unfinished, :me)',
          ExpressionAttributeValues: { ':id': new Set([importId]), ':max': max, ':me': importId },
        }),
      );
    try {
      await claim();
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    // At the limit: drop ids whose jobs have finished or vanished (a lost release), then try once more.
    if ((await this.pruneSlots(userId)) === 0) return false;
    try {
      await claim();
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return false;
    }
  }

  async releaseSlot(userId: string, importId: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({ TableName: this.table, Key: this.key(userId), UpdateExpression: 'DELETE unfinished :id', ExpressionAttributeValues: { ':id': new Set([importId]) } }),
    );
  }

  /** Removes finished or missing jobs from the unfinished set; returns how many. */
  async pruneSlots(userId: string): Promise<number> {
    const { unfinished } = await this.get(userId);
    const stale: string[] = [];
    for (const id of unfinished) {
      const job = await this.lookup(id);
      if (!job || isFinished(job)) stale.push(id);
    }
    if (stale.length) {
      await this.doc.send(
        new UpdateCommand({ TableName: this.table, Key: this.key(userId), UpdateExpression: 'DELETE unfinished :ids', ExpressionAttributeValues: { ':ids': new Set(stale) } }),
      );
    }
    return stale.length;
  }

  /**
   * Takes the user's import lock for `importId` (and takes it off the waiting line). True when
   * it holds the lock now; false when another import holds it and is still running.
   */
  async acquireLock(userId: string, importId: string): Promise<boolean> {
    const take = (condition: string, values: Record<string, unknown>) =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(userId),
          UpdateExpression: 'SET activeImportId = :me, lockedAt = :now DELETE queued :meSet',
          ConditionExpression: condition,
          ExpressionAttributeValues: { ':me': importId, ':meSet': new Set([importId]), ':now': this.now(), ...values },
        }),
      );
    try {
      await take('attribute_not_exists(activeImportId) OR activeImportId = :me', {});
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    const state = await this.get(userId);
    const holder = state.activeImportId;
    if (holder === undefined) return this.acquireLock(userId, importId);
    const holderJob = await this.lookup(holder);
    if (holderJob && !isFinished(holderJob)) return false;
    if (this.now() - (state.lockedAt ?? 0) < LOCK_TAKEOVER_AFTER_MS) return false;
    // The holder ended a while ago without releasing (a lost release): take the lock over, only from it.
    try {
      await take('activeImportId = :holder', { ':holder': holder });
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return this.acquireLock(userId, importId);
    }
  }

  /** Puts the import on the waiting line while another import holds the lock; false if the lock came free meanwhile. */
  async enqueue(userId: string, importId: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(userId),
          UpdateExpression: 'ADD queued :meSet',
          ConditionExpression: 'attribute_exists(activeImportId) AND activeImportId <> :me',
          ExpressionAttributeValues: { ':me': importId, ':meSet': new Set([importId]) },
        }),
      );
      return true;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return false;
    }
  }

  /** Takes the import off the waiting line (canceled or deleted while queued). */
  async dequeue(userId: string, importId: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({ TableName: this.table, Key: this.key(userId), UpdateExpression: 'DELETE queued :meSet', ExpressionAttributeValues: { ':meSet': new Set([importId]) } }),
    );
  }

  /** Releases the lock if `importId` holds it; returns the imports waiting for it. */
  async releaseLock(userId: string, importId: string): Promise<string[]> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: this.key(userId),
          UpdateExpression: 'REMOVE activeImportId',
          ConditionExpression: 'activeImportId = :me',
          ExpressionAttributeValues: { ':me': importId },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return [...((out.Attributes?.queued as Set<string> | undefined) ?? [])];
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      return (await this.get(userId)).queued;
    }
  }
}
