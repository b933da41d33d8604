/**
 * What the write phases have done, added to the job item exactly once each: records written (the
 * live progress of the transactions phase), per-chunk results (a chunk's id joins `chunksDone` in
 * the same conditional write), the accounts and dates an import touched, and the rollback cursor
 * with what each rolled-back part did. Kept apart from JobStore's status changes: these are
 * counters the workflow adds to, never decisions.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionally, isConditionFailure } from '../shared/conditional-write';
import { EntityResult, RollbackResults } from './job';
import type { JobTable } from './job-table-access';

/** Months an import records as touched at most (one more means "more than this": recompute everything). */
export const MAX_TOUCHED_MONTHS = 600;

export class WorkLedger {
  constructor(private readonly t: JobTable) {}

  /**
   * Counts records written by the transactions phase (parts of its chunks, which the Map runs
   * in parallel) and returns the total so far: the live progress of a long phase.
   */
  async addRecordsDone(importId: string, n: number, total: number): Promise<number> {
    const out = await this.t.doc.send(
      new UpdateCommand({
        TableName: this.t.table,
        Key: { importId },
        UpdateExpression: 'ADD recordsDone :n SET recordsTotal = :t',
        ConditionExpression: 'attribute_exists(importId)',
        ExpressionAttributeValues: { ':n': n, ':t': total },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.recordsDone ?? n);
  }

  /**
   * Adds one staged chunk's results to importResults (and the imports whose items it replaced),
   * exactly once per chunk: the chunk's id joins `chunksDone` in the same conditional write.
   * Returns how many chunks are done.
   */
  async recordChunk(importId: string, chunkId: string, kind: string, result: EntityResult, overwrote: Record<string, number>, parts = 0): Promise<number> {
    const names: Record<string, string> = { '#k': kind };
    const values: Record<string, unknown> = { ':c': new Set([chunkId]), ':cid': chunkId, ':now': this.t.now(), ':parts': parts };
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
      const out = await this.t.doc.send(
        new UpdateCommand({
          TableName: this.t.table,
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
      if (!isConditionFailure(err)) throw err;
      return this.chunksDone(importId); // already counted (a re-run of the chunk)
    }
  }

  async chunksDone(importId: string): Promise<number> {
    const out = await this.t.doc.send(new GetCommand({ TableName: this.t.table, Key: { importId }, ConsistentRead: true, ProjectionExpression: 'chunksDone' }));
    return ((out.Item?.chunksDone as Set<string> | undefined) ?? new Set()).size;
  }

  /** Adds what a chunk touched: its accounts, the dates of its transactions and their months (as written and as they were). */
  async recordTouched(importId: string, accounts: readonly string[], dateFrom?: number, dateTo?: number, months: readonly string[] = []): Promise<void> {
    if (months.length) {
      // the analytics recompute these months, or everything past MAX_TOUCHED_MONTHS: the set stops
      // growing there (a package's dates may span thousands of months; the job item must stay small)
      const added = await conditionally(
        this.t.doc.send(
          new UpdateCommand({
            TableName: this.t.table,
            Key: { importId },
            UpdateExpression: 'ADD touchedMonths :m',
            ConditionExpression: 'attribute_exists(importId) AND (attribute_not_exists(touchedMonths) OR size(touchedMonths) <= :max)',
            ExpressionAttributeValues: { ':m': new Set(months.slice(0, MAX_TOUCHED_MONTHS + 1)), ':max': MAX_TOUCHED_MONTHS },
          }),
        ),
      );
      if (!added) {
        await conditionally(
          this.t.doc.send(
            new UpdateCommand({ TableName: this.t.table, Key: { importId }, UpdateExpression: 'SET touchedMonthsOverflow = :t', ConditionExpression: 'attribute_exists(importId)', ExpressionAttributeValues: { ':t': true } }),
          ),
        );
      }
    }
    if (accounts.length) {
      await this.t.doc.send(
        new UpdateCommand({ TableName: this.t.table, Key: { importId }, UpdateExpression: 'ADD touchedAccounts :a', ExpressionAttributeValues: { ':a': new Set(accounts.slice(0, 1000)) } }),
      );
    }
    const widen = async (field: 'dateFrom' | 'dateTo', value: number | undefined, op: '>' | '<') => {
      if (value === undefined) return;
      await conditionally(
        this.t.doc.send(
          new UpdateCommand({
            TableName: this.t.table,
            Key: { importId },
            UpdateExpression: `SET ${field} = :v`,
            ConditionExpression: `attribute_exists(importId) AND (attribute_not_exists(${field}) OR ${field} ${op} :v)`,
            ExpressionAttributeValues: { ':v': value },
          }),
        ),
      );
    };
    await widen('dateFrom', dateFrom, '>');
    await widen('dateTo', dateTo, '<');
  }

  /**
   * Moves the rollback cursor from `from` to `to` and adds what the parts in between did, in one
   * conditional write: a step that runs twice cannot count a part twice.
   */
  async advanceRollback(importId: string, from: string, to: string, delta: RollbackResults, parts = 0): Promise<boolean> {
    return conditionally(
      this.t.doc.send(
        new UpdateCommand({
          TableName: this.t.table,
          Key: { importId },
          UpdateExpression:
            'SET rollbackCursor = :to, updatedAt = :now, expiresAt = :exp ADD rollbackResults.restored :r, rollbackResults.deleted :d, rollbackResults.changedSince :c, rollbackParts :parts',
          ConditionExpression: 'rollbackCursor = :from AND #status IN (:rb, :un)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':to': to,
            ':from': from,
            ':now': this.t.now(),
            ':exp': this.t.expiryFor(false, 'rolling_back'),
            ':r': delta.restored,
            ':d': delta.deleted,
            ':c': delta.changedSince,
            ':parts': parts,
            ':rb': 'rolling_back',
            ':un': 'undoing',
          },
        }),
      ),
    );
  }
}
