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
import { ALLOWED_FROM, ImportJob, isFinished, JobStatus, RUNNING_STATUSES, TERMINAL_STATUSES } from './job';
import { IllegalTransitionError, JobConflictError, JobNotFoundError, TooManyJobsError } from './errors';
import { JOB_TABLE } from './job-table';

export interface JobStoreOptions {
  tableName: string;
  /** Days a finished job is kept (default 7). */
  retentionDays: number;
  /** Seconds an unfinished job lives when its package never arrives (default 24 h). */
  pendingTtlSeconds: number;
  maxUnfinishedJobsPerUser: number;
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
  >
>;

export interface JobPage {
  jobs: ImportJob[];
  /** LastEvaluatedKey of the query, or undefined on the last page. */
  next?: Record<string, unknown>;
}

export class JobStore {
  private readonly now: () => number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly opts: JobStoreOptions,
  ) {
    this.now = opts.now ?? Date.now;
  }

  private get table(): string {
    return this.opts.tableName;
  }

  /** Creates a job in status uploaded, refusing when the user has too many unfinished jobs. */
  async create(job: Omit<ImportJob, 'status' | 'uploadedAt' | 'updatedAt' | 'progress' | 'expiresAt' | 'version'>): Promise<ImportJob> {
    const unfinished = await this.countUnfinished(job.userId);
    if (unfinished >= this.opts.maxUnfinishedJobsPerUser) throw new TooManyJobsError(this.opts.maxUnfinishedJobsPerUser);
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
    await this.doc.send(
      new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(importId)' }),
    );
    return strip(item);
  }

  async get(importId: string): Promise<ImportJob | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { importId }, ConsistentRead: true }));
    return out.Item ? strip(out.Item as ImportJob) : undefined;
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

  private async countUnfinished(userId: string): Promise<number> {
    let count = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const out: QueryCommandOutput = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: JOB_TABLE.byUser.name,
          KeyConditionExpression: 'userId = :u',
          ExpressionAttributeValues: { ':u': userId },
          ProjectionExpression: '#s, validateOnly',
          ExpressionAttributeNames: { '#s': 'status' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const i of out.Items ?? []) if (!isFinished(i as ImportJob)) count++;
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return count;
  }

  /**
   * Moves a job to `to` if its current status allows it, applying `update` in the same write.
   * Repeating a transition the job already made is a no-op that returns the job as it is.
   */
  async transition(importId: string, to: JobStatus, update: JobUpdate = {}, opts: { final?: boolean } = {}): Promise<ImportJob> {
    const from = ALLOWED_FROM[to];
    if (from.length === 0) {
      // Nothing leads to this status (it is where jobs start): only a no-op repeat is fine.
      const current = await this.get(importId);
      if (current && current.status === to) return current;
      throw new IllegalTransitionError(importId, current?.status, to);
    }
    const now = this.now();
    // validation_passed is final for a validateOnly job: nothing runs after it.
    const finished = TERMINAL_STATUSES.includes(to) || opts.final === true;
    const set: Record<string, unknown> = { ...update, status: to, updatedAt: now };
    if (finished) {
      set.completedAt = update.completedAt ?? now;
      set.expiresAt = Math.floor(now / 1000) + this.opts.retentionDays * 86400;
    }
    if (to === 'completed') set.progress = 100;
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
      if (current && current.status === to) return current; // already done: duplicate delivery
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
          UpdateExpression: 'SET progress = :p, currentPhase = :c, updatedAt = :now, #v = #v + :one',
          ConditionExpression: `#status IN (:s1, :s2) AND progress <= :p`,
          ExpressionAttributeNames: { '#status': 'status', '#v': 'version' },
          ExpressionAttributeValues: {
            ':p': Math.max(0, Math.min(100, Math.round(progress))),
            ':c': currentPhase,
            ':now': this.now(),
            ':one': 1,
            ':s1': RUNNING_STATUSES[0],
            ':s2': RUNNING_STATUSES[1],
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

  /** Records one entity's import results while the job is processing. */
  async setImportResult(importId: string, entity: string, result: Record<string, number>): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { importId },
        UpdateExpression: 'SET importResults.#e = :r, updatedAt = :now, #v = #v + :one',
        ConditionExpression: '#status = :p',
        ExpressionAttributeNames: { '#e': entity, '#status': 'status', '#v': 'version' },
        ExpressionAttributeValues: { ':r': result, ':now': this.now(), ':one': 1, ':p': 'processing' },
      }),
    );
  }

  /** Marks a chunk of transactions as written (a set: re-running a chunk adds nothing); returns how many are done. */
  async markChunkDone(importId: string, chunk: number): Promise<number> {
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { importId },
        UpdateExpression: 'ADD chunksDone :c SET updatedAt = :now',
        ConditionExpression: '#status = :p',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':c': new Set([chunk]), ':now': this.now(), ':p': 'processing' },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const done = out.Attributes?.chunksDone as Set<number> | undefined;
    return done ? done.size : 0;
  }

  /** Deletes a job unless a workflow may be running for it. */
  async deleteUnlessRunning(importId: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { importId },
          ConditionExpression: 'attribute_exists(importId) AND NOT (#status IN (:r1, :r2))',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':r1': RUNNING_STATUSES[0], ':r2': RUNNING_STATUSES[1] },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const current = await this.get(importId);
      if (!current) return; // already gone
      throw new JobConflictError(`import ${importId} is ${current.status}; it can be deleted once it has finished`);
    }
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
  const { expiryPartition: _p, chunksDone: _c, ...rest } = item as T & { expiryPartition?: string; chunksDone?: unknown };
  return rest as unknown as ImportJob;
}
