/**
 * The job table: creating, reading and listing jobs, and their status changes. Every status change goes through `transition`: one conditional UpdateItem
 * (the status must be one the target may be entered from), so duplicate events and racing
 * executions cannot move a job backwards; a repeated identical transition is a no-op. The
 * bookkeeping on the same item is split by concern: `users` (slots, lock, waiting line),
 * `leases` (write leases) and `work` (what the write phases have done).
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
import { ALLOWED_FROM, ImportJob, JobStatus, RUNNING_STATUSES, TERMINAL_STATUSES } from './job';
import { AlreadyInStatusError, IllegalTransitionError, JobConflictError, JobNotFoundError, TooManyJobsError } from './errors';
import { JOB_TABLE } from './job-table';
import { UserLocks } from './user-locks';
import { WriteLeases } from './write-leases';
import { WorkLedger } from './work-ledger';
import type { JobTable } from './job-table-access';

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
  /** Write leases of running steps (on the job item). */
  readonly leases: WriteLeases;
  /** What the write phases have done: chunks, records, touched data, rollback cursor (on the job item). */
  readonly work: WorkLedger;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly opts: JobStoreOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.users = new UserLocks(doc, opts.tableName, (id) => this.get(id), 'importId', this.now);
    const access: JobTable = { doc, table: opts.tableName, now: () => this.now(), expiryFor: (f, st) => this.expiryFor(f, st), get: (id) => this.get(id) };
    this.leases = new WriteLeases(access);
    this.work = new WorkLedger(access);
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
  for (const k of ['touchedAccounts', 'touchedMonths', 'eventsSent']) if (r[k] instanceof Set) r[k] = [...(r[k] as Set<string>)];
  // journalParts / rollbackParts stay: rollback compares them
  return rest as unknown as ImportJob;
}
