/**
 * Write leases of an import: a step that writes the user's data holds one while it runs, taken
 * only while the job is processing (`writers` on the job item). Rollback waits until no live
 * lease is left, so no step still writes behind it (Step Functions stops a Map or an execution,
 * but not a Lambda already running).
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionally } from '../shared/conditional-write';
import { WritesStoppedError } from './errors';
import type { JobTable } from './job-table-access';

export class WriteLeases {
  constructor(private readonly t: JobTable) {}

  /** Takes a lease until `expiresAtMs`; WritesStoppedError unless the job is processing. */
  async acquire(importId: string, token: string, expiresAtMs: number): Promise<void> {
    const taken = await conditionally(
      this.t.doc.send(
        new UpdateCommand({
          TableName: this.t.table,
          Key: { importId },
          UpdateExpression: 'SET writers.#t = :e, expiresAt = :exp',
          ConditionExpression: '#status = :p',
          ExpressionAttributeNames: { '#t': token, '#status': 'status' },
          ExpressionAttributeValues: { ':e': expiresAtMs, ':p': 'processing', ':exp': this.t.expiryFor(false, 'processing') },
        }),
      ),
    );
    if (taken) return;
    const job = await this.t.get(importId);
    throw new WritesStoppedError(importId, job?.status, job?.cancelRequested === true);
  }

  async release(importId: string, token: string): Promise<void> {
    await conditionally(
      this.t.doc.send(
        new UpdateCommand({
          TableName: this.t.table,
          Key: { importId },
          UpdateExpression: 'REMOVE writers.#t',
          ConditionExpression: 'attribute_exists(writers)',
          ExpressionAttributeNames: { '#t': token },
        }),
      ),
    );
  }

  /** Removes every write lease of a job (only when no holder can be alive); true if there were any. */
  async clear(importId: string): Promise<boolean> {
    return conditionally(
      this.t.doc.send(new UpdateCommand({ TableName: this.t.table, Key: { importId }, UpdateExpression: 'REMOVE writers', ConditionExpression: 'attribute_exists(writers)' })),
    );
  }

  /** Leases that have not expired yet. */
  async live(importId: string): Promise<number> {
    const out = await this.t.doc.send(new GetCommand({ TableName: this.t.table, Key: { importId }, ConsistentRead: true, ProjectionExpression: 'writers' }));
    const writers = (out.Item?.writers ?? {}) as Record<string, number>;
    const now = this.t.now();
    return Object.values(writers).filter((exp) => exp > now).length;
  }

  /** Throws WritesStoppedError unless the job is still processing (checked between write batches). */
  async assertProcessing(importId: string): Promise<void> {
    const job = await this.t.get(importId);
    if (job?.status !== 'processing') throw new WritesStoppedError(importId, job?.status, job?.cancelRequested === true);
  }
}
