/**
 * The job table. Every status change goes through `transition`: one conditional UpdateItem
 * (the status must be one the target may be entered from), so duplicate events and racing
 * executions cannot move a job backwards; a repeated identical transition is a no-op.
 */
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  QueryCommandInput,
  QueryCommandOutput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ALLOWED_FROM, EntityResult, ImportJob, RollbackResults, JobStatus, RUNNING_STATUSES, TERMINAL_STATUSES } from './job';
import { AlreadyInStatusError, IllegalTransitionError, JobConflictError, JobNotFoundError, TooManyJobsError, WritesStoppedError } from './errors';
import { JOB_TABLE } from './job-table';
import { UserLocks } from './user-locks';

export interface JobStoreOptions {
  tableName: string;
  /** Days a finished job is kept (default 7). */
  retentionDays: number;
  /** Seconds an unfinished job lives when its package never arrives (default 24 h). */
  pendingTtlSeconds: number;
  maxUnfinishedJobsPerUser: number;
  /** Seconds a queued or running job's TTL is kept ahead of its last update (default 2 days). */
  activeTtlSeconds?: number;
  now?: () => number;
}

export type JobUpdate = Partial<
  Pick<
    ImportJob,
    | 'progress'
    | 'currentPhase'
    | 'validationResults'
    | 'importResults'
    | 'errorMessage'
    | 'executionArn'
    | 'packageSize'
    | 'completedAt'
    | 'packageETag'
    | 'mergeStrategy'
    | 'executionName'
    | 'executionCount'
    | 'writesStarted'
    | 'cancelRequested'
    | 'rollbackReason'
    | 'rollbackAttempts'
    | 'rollbackRestarts'
    | 'rolledBack'
    | 'rollbackResults'
    | 'rollbackCursor'
    | 'rollbackParts'
    | 'undoForce'
    | 'decisionsKey'
    | 'overwrote'
  >
>;

export interface JobPage {
  jobs: ImportJob[];
  /** LastEvaluatedKey of the query, or undefined on the last page. */
  next?: Record<string, unknown>;
}

export class JobStore {
  private readonly now: () => number;
  /** The per-user slots, lock and waiting line (same table). */
  readonly users: UserLocks;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly opts: JobStoreOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.users = new UserLocks(doc, opts.tableName, (id) => this.get(id), 'importId', this.now);
  }

  private get table(): string {
    return this.opts.tableName;
  }

  /** TTL of a job entering `status`: retention once finished, kept ahead while queued or running. */
  private expiryFor(finished: boolean, status: JobStatus): number {
    const nowS = Math.floor(this.now() / 1000);
    if (finished) return nowS + this.opts.retentionDays * 86400;
    if (status === 'uploaded') return nowS + this.opts.pendingTtlSeconds;
    return nowS + Math.max(this.opts.activeTtlSeconds ?? 2 * 86400, this.opts.pendingTtlSeconds);
  }

  /**
   * Creates a job in status uploaded. The user's unfinished-jobs limit is exact: the job first
   * claims a slot with one conditional write on the user's item (TooManyJobsError when full).
   */
  async create(job: Omit<ImportJob, 'status' | 'uploadedAt' | 'updatedAt' | 'progress' | 'expiresAt' | 'version'>): Promise<ImportJob> {
    if (!(await this.users.claimSlot(job.userId, job.importId, this.opts.maxUnfinishedJobsPerUser))) {
      throw new TooManyJobsError(this.opts.maxUnfinishedJobsPerUser);
    }
    const now = this.now();
    const item: ImportJob & { expiryPartition: string } = {
      ...job,
      status: 'uploaded',
      uploadedAt: now,
      updatedAt: now,
      progress: 0,
      expiresAt: Math.floor(now / 1000) + this.opts.pendingTtlSeconds,
      version: 1,
      expiryPartition: JOB_TABLE.byExpiry.partitionValue,
    };
    try {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(importId)' }));
    } catch (err) {
      await this.users.releaseSlot(job.userId, job.importId);
      throw err;
    }
    return strip(item);
  }

  async get(importId: string): Promise<ImportJob | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { importId }, ConsistentRead: true }));
    return out.Item && out.Item.status !== undefined ? strip(out.Item as ImportJob) : undefined;
  }

  /** The job if it exists and belongs to the user; otherwise JobNotFoundError (same for both). */
  async getOwned(importId: string, userId: string): Promise<ImportJob> {
    const job = await this.get(importId);
    if (!job || job.userId !== userId) throw new JobNotFoundError(importId);
    return job;
  }

  /** One page of an index query, items stripped of bookkeeping attributes. */
  private async queryPage(input: Omit<QueryCommandInput, 'TableName'>): Promise<JobPage> {
    const out: QueryCommandOutput = await this.doc.send(new QueryCommand({ TableName: this.table, ...input }));
    return { jobs: (out.Items ?? []).map((i) => strip(i as ImportJob)), next: out.LastEvaluatedKey };
  }

  /** A user's jobs, newest first. */
  async listByUser(userId: string, limit: number, startKey?: Record<string, unknown>): Promise<JobPage> {
    return this.queryPage({
      IndexName: JOB_TABLE.byUser.name,
      KeyConditionExpression: 'userId = :u',
      ExpressionAttributeValues: { ':u': userId },
      ScanIndexForward: false,
      Limit: limit,
      ExclusiveStartKey: startKey,
    });
  }

  /**
   * Moves a job to `to` if its current status allows it, applying `update` in the same write.
   * Repeating a transition the job already made is a no-op that returns the job as it is, unless
   * `exclusive`: then only the one call that made the move succeeds (the others get
   * AlreadyInStatusError), for requests that start something once (confirm, undo).
   */
  async transition(
    importId: string,
    to: JobStatus,
    update: JobUpdate = {},
    opts: { final?: boolean; expected?: JobStatus; exclusive?: boolean } = {},
  ): Promise<ImportJob> {
    /** A job already in `to`: the repeat is a no-op (the job as it is), or refused when exclusive. */
    const repeat = (current: ImportJob | undefined): ImportJob | undefined => {
      if (!current || current.status !== to) return undefined;
      if (opts.exclusive) throw new AlreadyInStatusError(importId, to);
      return current;
    };
    // `expected`: only from the status the caller read (not any status the target allows), so a
    // decision taken on a status cannot be applied after another writer moved the job on.
    const from = opts.expected ? ALLOWED_FROM[to].filter((st) => st === opts.expected) : ALLOWED_FROM[to];
    if (from.length === 0) {
      // Nothing leads to this status (it is where jobs start, or not from `expected`): only a no-op repeat is fine.
      const current = await this.get(importId);
      const same = repeat(current);
      if (same) return same;
      throw new IllegalTransitionError(importId, current?.status, to);
    }
    const now = this.now();
    // validation_passed is final for a validateOnly job: nothing runs after it.
    const finished = TERMINAL_STATUSES.includes(to) || opts.final === true;
    const set: Record<string, unknown> = { ...update, status: to, updatedAt: now, expiresAt: this.expiryFor(finished, to) };
    if (finished) set.completedAt = update.completedAt ?? now;
    if (to === 'completed' || to === 'undone' || to === 'canceled') set.progress = 100; // what it set out to do is done
    if (to === 'processing') {
      // Bookkeeping maps the write phases add to (leases, per-chunk results, replaced imports).
      set.writers = {};
      set.overwrote = {};
      set.writesStarted = true;
    }
    const { expression, names, values } = setVersioned(set);
    from.forEach((s, i) => {
      values[`:from${i}`] = s;
    });
    names['#status'] = 'status';
    const condition = `#status IN (${from.map((_, i) => `:from${i}`).join(', ')})`;
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { importId },
          UpdateExpression: expression,
          ConditionExpression: `attribute_exists(importId) AND ${condition}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return strip(out.Attributes as ImportJob);
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const current = await this.get(importId);
      const same = repeat(current); // already done: duplicate delivery
      if (same) return same;
      throw new IllegalTransitionError(importId, current?.status, to);
    }
  }

  /** Progress within the current status: only forward, never after the job finished. */
  async reportProgress(importId: string, progress: number, currentPhase: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { importId },
          UpdateExpression: 'SET progress = :p, currentPhase = :c, updatedAt = :now, expiresAt = :exp, #v = #v + :one',
          ConditionExpression: `#status IN (${RUNNING_STATUSES.map((_, i) => `:s${i}`).join(', ')}) AND progress <= :p`,
          ExpressionAttributeNames: { '#status': 'status', '#v': 'version' },
          ExpressionAttributeValues: {
            ':p': Math.max(0, Math.min(100, Math.round(progress))),
            ':c': currentPhase,
            ':now': this.now(),
            ':exp': this.expiryFor(false, 'processing'),
            ':one': 1,
            ...Object.fromEntries(RUNNING_STATUSES.map((st, i) => [`:s${i}`, st])),
          },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      // Progress went backwards (a retried step) or the job already ended: keep what is there.
    }
  }

  /**
   * Counts records written by the transactions phase (parts of its chunks, which the Map runs
   * in parallel) and returns the total so far: the live progress of a long phase.
   */
  async addRecordsDone(importId: string, n: number, total: number): Promise<number> {
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { importId },
        UpdateExpression: 'ADD recordsDone :n SET recordsTotal = :t',
        ConditionExpression: 'attribute_exists(importId)',
        ExpressionAttributeValues: { ':n': n, ':t': total },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.recordsDone ?? n);
  }

  /** Sets fields without a status change (e.g. the executionArn), if the job is in `status`. */
  async updateIn(importId: string, status: JobStatus, update: JobUpdate): Promise<void> {
    if (!Object.keys(update).length) return;
    const { expression, names, values } = setVersioned(update);
    names['#status'] = 'status';
    values[':s'] = status;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { importId },
          UpdateExpression: expression,
          ConditionExpression: '#status = :s',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const current = await this.get(importId);
      throw new IllegalTransitionError(importId, current?.status, status);
    }
  }

  /**
   * Reserves the number of the job's next execution (one conditional increment while the job is
   * in `status`), so two starts can never pick the same execution name.
   */
  async reserveExecution(importId: string, status: JobStatus): Promise<number> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { importId },
          UpdateExpression: 'ADD executionCount :one',
          ConditionExpression: '#status = :s',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':one': 1, ':s': status },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return out.Attributes?.executionCount as number;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const current = await this.get(importId);
      throw new IllegalTransitionError(importId, current?.status, status);
    }
  }

  /**
   * Adds one staged chunk's results to importResults (and the imports whose items it replaced),
   * exactly once per chunk: the chunk's id joins `chunksDone` in the same conditional write.
   * Returns how many chunks are done.
   */
  async recordChunk(importId: string, chunkId: string, kind: string, result: EntityResult, overwrote: Record<string, number>, parts = 0): Promise<number> {
    const names: Record<string, string> = { '#k': kind };
    const values: Record<string, unknown> = { ':c': new Set([chunkId]), ':cid': chunkId, ':now': this.now(), ':parts': parts };
    const adds = ['chunksDone :c', 'journalParts :parts'];
    for (const [field, n] of Object.entries(result)) {
      names[`#${field}`] = field;
      values[`:${field}`] = n;
      adds.push(`importResults.#k.#${field} :${field}`);
    }
    Object.entries(overwrote).slice(0, 50).forEach(([other, n], i) => {
      names[`#o${i}`] = other;
      values[`:o${i}`] = n;
      adds.push(`overwrote.#o${i} :o${i}`);
    });
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { importId },
          UpdateExpression: `ADD ${adds.join(', ')} SET updatedAt = :now`,
          ConditionExpression: 'attribute_exists(importId) AND NOT contains(chunksDone, :cid)',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return ((out.Attributes?.chunksDone as Set<string> | undefined) ?? new Set()).size;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      return this.chunksDone(importId); // already counted (a re-run of the chunk)
    }
  }

  async chunksDone(importId: string): Promise<number> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { importId }, ConsistentRead: true, ProjectionExpression: 'chunksDone' }));
    return ((out.Item?.chunksDone as Set<string> | undefined) ?? new Set()).size;
  }

  /**
   * A write lease: a step that writes the user's data holds one while it runs, taken only while
   * the job is processing. Rollback waits until no live lease is left, so no step still writes
   * behind it (Step Functions stops a Map or an execution, but not a Lambda already running).
   */
  async acquireWriteLease(importId: string, token: string, expiresAtMs: number): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { importId },
          UpdateExpression: 'SET writers.#t = :e, expiresAt = :exp',
          ConditionExpression: '#status = :p',
          ExpressionAttributeNames: { '#t': token, '#status': 'status' },
          ExpressionAttributeValues: { ':e': expiresAtMs, ':p': 'processing', ':exp': this.expiryFor(false, 'processing') },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const job = await this.get(importId);
      throw new WritesStoppedError(importId, job?.status, job?.cancelRequested === true);
    }
  }

  async releaseWriteLease(importId: string, token: string): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { importId },
          UpdateExpression: 'REMOVE writers.#t',
          ConditionExpression: 'attribute_exists(writers)',
          ExpressionAttributeNames: { '#t': token },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  /** Removes every write lease of a job (only when no holder can be alive); true if there were any. */
  async clearWriteLeases(importId: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({ TableName: this.table, Key: { importId }, UpdateExpression: 'REMOVE writers', ConditionExpression: 'attribute_exists(writers)' }),
      );
      return true;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      return false;
    }
  }

  /** Leases that have not expired yet. */
  async liveWriters(importId: string): Promise<number> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { importId }, ConsistentRead: true, ProjectionExpression: 'writers' }));
    const writers = (out.Item?.writers ?? {}) as Record<string, number>;
    const now = this.now();
    return Object.values(writers).filter((exp) => exp > now).length;
  }

  /** Throws WritesStoppedError unless the job is still processing (checked between write batches). */
  async assertProcessing(importId: string): Promise<void> {
    const job = await this.get(importId);
    if (job?.status !== 'processing') throw new WritesStoppedError(importId, job?.status, job?.cancelRequested === true);
  }

  /**
   * Moves the rollback cursor from `from` to `to` and adds what the parts in between did, in one
   * conditional write: a step that runs twice cannot count a part twice.
   */
  async advanceRollback(importId: string, from: string, to: string, delta: RollbackResults, parts = 0): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { importId },
          UpdateExpression:
            'SET rollbackCursor = :to, updatedAt = :now, expiresAt = :exp ADD rollbackResults.restored :r, rollbackResults.deleted :d, rollbackResults.changedSince :c, rollbackParts :parts',
          ConditionExpression: 'rollbackCursor = :from AND #status IN (:rb, :un)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':to': to,
            ':from': from,
            ':now': this.now(),
            ':exp': this.expiryFor(false, 'rolling_back'),
            ':r': delta.restored,
            ':d': delta.deleted,
            ':c': delta.changedSince,
            ':parts': parts,
            ':rb': 'rolling_back',
            ':un': 'undoing',
          },
        }),
      );
      return true;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      return false;
    }
  }

  /** Notes that the end event of `status` was sent. */
  async markEventSent(importId: string, status: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { importId },
        UpdateExpression: 'ADD eventsSent :s',
        ConditionExpression: 'attribute_exists(importId)',
        ExpressionAttributeValues: { ':s': new Set([status]) },
      }),
    ).catch((err) => {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    });
  }

  /** Adds what a chunk touched: its accounts and the dates of its transactions. */
  async recordTouched(importId: string, accounts: readonly string[], dateFrom?: number, dateTo?: number): Promise<void> {
    if (accounts.length) {
      await this.doc.send(
        new UpdateCommand({ TableName: this.table, Key: { importId }, UpdateExpression: 'ADD touchedAccounts :a', ExpressionAttributeValues: { ':a': new Set(accounts.slice(0, 1000)) } }),
      );
    }
    const widen = async (field: 'dateFrom' | 'dateTo', value: number | undefined, op: '>' | '<') => {
      if (value === undefined) return;
      await this.doc
        .send(
          new UpdateCommand({
            TableName: this.table,
            Key: { importId },
            UpdateExpression: `SET ${field} = :v`,
            ConditionExpression: `attribute_exists(importId) AND (attribute_not_exists(${field}) OR ${field} ${op} :v)`,
            ExpressionAttributeValues: { ':v': value },
          }),
        )
        .catch((err) => {
          if (!(err instanceof ConditionalCheckFailedException)) throw err;
        });
    };
    await widen('dateFrom', dateFrom, '>');
    await widen('dateTo', dateTo, '<');
  }

  /** Deletes a job unless a workflow may be running for it. */
  async deleteUnlessRunning(importId: string): Promise<void> {
    const running = RUNNING_STATUSES.filter((st) => st !== 'validation_passed');
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { importId },
          // validation_passed is finished for a validateOnly job, running otherwise
          ConditionExpression: `attribute_exists(importId) AND NOT (#status IN (${running.map((_, i) => `:r${i}`).join(', ')})) AND NOT (#status = :vp AND validateOnly = :false)`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ...Object.fromEntries(running.map((st, i) => [`:r${i}`, st])), ':vp': 'validation_passed', ':false': false },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const current = await this.get(importId);
      if (!current) return; // already gone
      throw new JobConflictError(`import ${importId} is ${current.status}; it can be deleted once it has finished`);
    }
  }

  /**
   * Jobs in one status, oldest first, through the status index (keys only: read each job after);
   * only those uploaded at or after `uploadedSince` (epoch ms) when given.
   */
  async listByStatus(status: JobStatus, limit: number, startKey?: Record<string, unknown>, uploadedSince?: number): Promise<JobPage> {
    return this.queryPage({
      IndexName: JOB_TABLE.byStatus.name,
      KeyConditionExpression: uploadedSince === undefined ? '#s = :s' : '#s = :s AND uploadedAt >= :since',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: uploadedSince === undefined ? { ':s': status } : { ':s': status, ':since': uploadedSince },
      Limit: limit,
      ExclusiveStartKey: startKey,
    });
  }

  /** Expired jobs (expiresAt <= now), oldest first, through the expiry index. */
  async listExpired(nowSeconds: number, limit: number, startKey?: Record<string, unknown>): Promise<JobPage> {
    return this.queryPage({
      IndexName: JOB_TABLE.byExpiry.name,
      KeyConditionExpression: 'expiryPartition = :p AND expiresAt <= :now',
      ExpressionAttributeValues: { ':p': JOB_TABLE.byExpiry.partitionValue, ':now': nowSeconds },
      Limit: limit,
      ExclusiveStartKey: startKey,
    });
  }
}

/** `SET` of the given fields plus the version increment, with placeholder names and values. */
function setVersioned(fields: Record<string, unknown>): { expression: string; names: Record<string, string>; values: Record<string, unknown> } {
  const names: Record<string, string> = { '#v': 'version' };
  const values: Record<string, unknown> = { ':one': 1 };
  const assignments = ['#v = #v + :one'];
  Object.entries(fields).forEach(([k, v], i) => {
    names[`#f${i}`] = k;
    values[`:f${i}`] = v;
    assignments.push(`#f${i} = :f${i}`);
  });
  return { expression: `SET ${assignments.join(', ')}`, names, values };
}

function strip<T extends object>(item: T): ImportJob {
  const { expiryPartition: _p, chunksDone: _c, writers: _w, ...rest } = item as T & { expiryPartition?: string; chunksDone?: unknown; writers?: unknown };
  const r = rest as Record<string, unknown>;
  // string sets come back as Sets: the job record holds arrays
  for (const k of ['touchedAccounts', 'eventsSent']) if (r[k] instanceof Set) r[k] = [...(r[k] as Set<string>)];
  // journalParts / rollbackParts stay: rollback compares them
  return rest as unknown as ImportJob;
}
