/**
 * The export table: create (claiming one of the user's export slots), read, list, conditional
 * status changes (processing -> completed | failed, once), per-shard counts added exactly once,
 * delete, and the expiry index for the cleanup.
 */
import type { ExportRequest } from './export-selection';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, QueryCommandOutput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ENTITY_KINDS } from '../fzip/entities';
import { ExportCounts, ExportJob, ExportStatus, isExportFinished } from './export-job';
import { EXPORT_TABLE } from './job-table';
import { IllegalTransitionError, JobConflictError, JobNotFoundError, TooManyJobsError } from './errors';
import { UserLocks } from './user-locks';

export interface ExportStoreOptions {
  tableName: string;
  /** Days a finished export (and its package) is kept. */
  retentionDays: number;
  maxUnfinishedPerUser: number;
  now?: () => number;
}

export class ExportNotFoundError extends JobNotFoundError {}

export class ExportStore {
  private readonly now: () => number;
  /** Unfinished exports per user, exactly (the same slot set as imports use, in this table). */
  readonly slots: UserLocks;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly opts: ExportStoreOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.slots = new UserLocks(doc, opts.tableName, async (id) => {
      const job = await this.get(id);
      // UserLocks prunes slots of finished jobs: an export is finished once not processing.
      return job ? ({ status: isExportFinished(job) ? 'completed' : 'processing', validateOnly: false } as never) : undefined;
    }, EXPORT_TABLE.partitionKey);
  }

  private get table(): string {
    return this.opts.tableName;
  }

  async create(exportId: string, userId: string, packageKey: string, request: ExportRequest = { backupType: 'complete' }): Promise<ExportJob> {
    if (!(await this.slots.claimSlot(userId, exportId, this.opts.maxUnfinishedPerUser))) throw new TooManyJobsError(this.opts.maxUnfinishedPerUser, 'exports');
    const now = this.now();
    const job: ExportJob = {
      exportId,
      userId,
      status: 'processing',
      createdAt: now,
      updatedAt: now,
      progress: 0,
      currentPhase: 'starting',
      counts: { ...(Object.fromEntries(ENTITY_KINDS.map((k) => [k, 0])) as Record<(typeof ENTITY_KINDS)[number], number>), statementFiles: 0 },
      packageKey,
      backupType: request.backupType,
      ...(request.selection ? { selection: request.selection } : {}),
      ...(request.description !== undefined ? { description: request.description } : {}),
      ...(request.includeAnalytics ? { includeAnalytics: true } : {}),
      // an export runs well within a day; the cleanup reconciles one that does not end
      expiresAt: Math.floor(now / 1000) + 2 * 86400,
      version: 1,
    };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...job, expiryPartition: EXPORT_TABLE.byExpiry.partitionValue },
          ConditionExpression: 'attribute_not_exists(exportId)',
        }),
      );
    } catch (err) {
      await this.slots.releaseSlot(userId, exportId);
      throw err;
    }
    return job;
  }

  async get(exportId: string): Promise<ExportJob | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { exportId }, ConsistentRead: true }));
    if (!out.Item || out.Item.status === undefined) return undefined;
    const { expiryPartition: _p, shardsDone: _s, ...job } = out.Item;
    return job as ExportJob;
  }

  async getOwned(exportId: string, userId: string): Promise<ExportJob> {
    const job = await this.get(exportId);
    if (!job || job.userId !== userId) throw new ExportNotFoundError(exportId);
    return job;
  }

  async listByUser(userId: string, limit: number, startKey?: Record<string, unknown>): Promise<{ jobs: ExportJob[]; next?: Record<string, unknown> }> {
    const out: QueryCommandOutput = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: EXPORT_TABLE.byUser.name,
        KeyConditionExpression: 'userId = :u',
        ExpressionAttributeValues: { ':u': userId },
        ScanIndexForward: false,
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return {
      jobs: (out.Items ?? []).map((i) => {
        const { expiryPartition: _p, shardsDone: _s, ...job } = i;
        return job as ExportJob;
      }),
      next: out.LastEvaluatedKey,
    };
  }

  /** processing -> completed | failed, once; the finished export is kept retentionDays. */
  async finish(exportId: string, to: Exclude<ExportStatus, 'processing'>, update: Partial<Pick<ExportJob, 'packageSize' | 'errorMessage' | 'currentPhase'>>): Promise<ExportJob> {
    const now = this.now();
    const fields: Record<string, unknown> = {
      ...update,
      status: to,
      updatedAt: now,
      completedAt: now,
      expiresAt: Math.floor(now / 1000) + this.opts.retentionDays * 86400,
      ...(to === 'completed' ? { progress: 100 } : {}),
    };
    const names: Record<string, string> = { '#status': 'status', '#v': 'version' };
    const values: Record<string, unknown> = { ':p': 'processing', ':one': 1 };
    const sets = ['#v = #v + :one'];
    Object.entries(fields).forEach(([k, v], i) => {
      names[`#f${i}`] = k;
      values[`:f${i}`] = v;
      sets.push(`#f${i} = :f${i}`);
    });
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { exportId },
          UpdateExpression: `SET ${sets.join(', ')}`,
          ConditionExpression: '#status = :p',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      const { expiryPartition: _p, shardsDone: _s, ...job } = out.Attributes ?? {};
      await this.slots.releaseSlot(job.userId as string, exportId);
      return job as ExportJob;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const current = await this.get(exportId);
      if (current?.status === to) return current;
      throw new IllegalTransitionError(exportId, current?.status, to);
    }
  }

  async reportProgress(exportId: string, progress: number, currentPhase: string, extra: Partial<Pick<ExportJob, 'executionName'>> = {}): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { exportId },
          UpdateExpression: `SET progress = :p, currentPhase = :c, updatedAt = :now${extra.executionName ? ', executionName = :e' : ''}`,
          ConditionExpression: '#status = :processing AND progress <= :p',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':p': Math.max(0, Math.min(100, Math.round(progress))),
            ':c': currentPhase,
            ':now': this.now(),
            ':processing': 'processing',
            ...(extra.executionName ? { ':e': extra.executionName } : {}),
          },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }

  /** Sets counts of kinds written by one step (the package writer); the transactions count comes from the shards. */
  async setCounts(exportId: string, counts: Partial<ExportCounts>): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = Object.entries(counts).map(([k, v], i) => {
      names[`#c${i}`] = k;
      values[`:c${i}`] = v;
      return `counts.#c${i} = :c${i}`;
    });
    if (!sets.length) return;
    await this.doc.send(new UpdateCommand({ TableName: this.table, Key: { exportId }, UpdateExpression: `SET ${sets.join(', ')}`, ExpressionAttributeNames: names, ExpressionAttributeValues: values }));
  }

  /** Adds one shard's transaction count, once per shard; returns how many shards are done. */
  async recordShard(exportId: string, shard: number, transactions: number): Promise<number> {
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { exportId },
          UpdateExpression: 'ADD shardsDone :s, counts.transactions :n',
          ConditionExpression: 'attribute_exists(exportId) AND NOT contains(shardsDone, :shard)',
          ExpressionAttributeValues: { ':s': new Set([shard]), ':shard': shard, ':n': transactions },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return ((out.Attributes?.shardsDone as Set<number> | undefined) ?? new Set()).size;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { exportId }, ConsistentRead: true, ProjectionExpression: 'shardsDone' }));
      return ((out.Item?.shardsDone as Set<number> | undefined) ?? new Set()).size;
    }
  }

  async deleteUnlessRunning(exportId: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { exportId },
          ConditionExpression: 'attribute_exists(exportId) AND #status <> :p',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':p': 'processing' },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      if (!(await this.get(exportId))) return;
      throw new JobConflictError(`export ${exportId} is still processing; it can be deleted once it has finished`);
    }
  }

  async listExpired(nowSeconds: number, limit: number, startKey?: Record<string, unknown>): Promise<{ jobs: ExportJob[]; next?: Record<string, unknown> }> {
    const out: QueryCommandOutput = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: EXPORT_TABLE.byExpiry.name,
        KeyConditionExpression: 'expiryPartition = :p AND expiresAt <= :now',
        ExpressionAttributeValues: { ':p': EXPORT_TABLE.byExpiry.partitionValue, ':now': nowSeconds },
        Limit: limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return { jobs: (out.Items ?? []) as ExportJob[], next: out.LastEvaluatedKey };
  }
}
