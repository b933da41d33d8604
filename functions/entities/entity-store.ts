/**
 * Reads and writes a user's imported entities. Items keep every field of the package record
 * plus the owner (`userId`), the import that wrote them (`importId`) and the key (`pk`, `sk`).
 */
import { isDeepStrictEqual } from 'node:util';
import { BatchGetCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ENTITIES, EntityKind } from '../fzip/entities';
import { PlainRecord } from '../fzip/normalize';
import { batchPut, BatchWriteIncompleteError, BatchWriterOptions, mapLimit, untilProcessed } from './batch-writer';
import { entityKey, EntityTableNames, TRANSACTIONS_BY_DATE, userPartitions } from './entity-tables';

export interface EntityStoreOptions extends BatchWriterOptions {
  /** Conditional puts in flight at once (skip_existing). */
  conditionalConcurrency?: number;
}

export class EntityStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tables: EntityTableNames,
    private readonly opts: EntityStoreOptions = {},
  ) {}

  toItem(kind: EntityKind, userId: string, importId: string, record: PlainRecord): Record<string, unknown> {
    const id = record[ENTITIES[kind].idField] as string;
    // The owner, import and key are ours: set last so no package field can replace them.
    return { ...record, userId, importId, ...entityKey(kind, userId, id) };
  }

  /**
   * The user's current items under these ids, whole (a strongly consistent read): the
   * before-images the journal keeps. Ids without an item are absent from the map.
   */
  async currentItems(kind: EntityKind, userId: string, ids: readonly string[], consistent = true): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    const table = this.tables[kind];
    const groups: string[][] = [];
    for (let i = 0; i < ids.length; i += 100) groups.push(ids.slice(i, i + 100) as string[]);
    await mapLimit(groups, 4, (group) =>
      untilProcessed(
        [...new Set(group)].map((id) => entityKey(kind, userId, id) as unknown as Record<string, unknown>),
        async (keys) => {
          const out = await this.doc.send(new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: consistent } } }));
          for (const item of out.Responses?.[table] ?? []) found.set(item.sk as string, item);
          return (out.UnprocessedKeys?.[table]?.Keys ?? []) as Record<string, unknown>[];
        },
        this.opts,
        (left) => new BatchWriteIncompleteError(left, 'read'),
      ),
    );
    return found;
  }

  /**
   * Puts one key back to what the journal says it was: the before-image, or no item. Only while
   * the item still carries this import's id; otherwise it is either already as it was (a rollback
   * running again) or something else changed it since, and it is left alone.
   */
  async restore(kind: EntityKind, key: { pk: string; sk: string }, before: Record<string, unknown> | null, importId: string): Promise<'restored' | 'deleted' | 'already' | 'changed'> {
    const table = this.tables[kind];
    const condition = { ConditionExpression: 'importId = :me', ExpressionAttributeValues: { ':me': importId } };
    try {
      if (before) await this.doc.send(new PutCommand({ TableName: table, Item: before, ...condition }));
      else await this.doc.send(new DeleteCommand({ TableName: table, Key: key, ...condition }));
      return before ? 'restored' : 'deleted';
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException) && (err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
    const now = (await this.doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item ?? null;
    return isDeepStrictEqual(now, before) ? 'already' : 'changed';
  }

  /**
   * Puts back an item the import deleted, while its key is still empty; otherwise it is already
   * back (a rollback running again) or something wrote the key since, and it is left alone.
   */
  async restoreDeleted(kind: EntityKind, key: { pk: string; sk: string }, before: Record<string, unknown>): Promise<'restored' | 'already' | 'changed'> {
    const table = this.tables[kind];
    try {
      await this.doc.send(new PutCommand({ TableName: table, Item: before, ConditionExpression: 'attribute_not_exists(pk)' }));
      return 'restored';
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException) && (err as Error).name !== 'ConditionalCheckFailedException') throw err;
    }
    const now = (await this.doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item ?? null;
    return isDeepStrictEqual(now, before) ? 'already' : 'changed';
  }

  /**
   * Deletes items still as they were journaled (replace: the user's records a package does not
   * hold): same writer (importId) and, where it has one, same updatedAt. An item changed since
   * (the app, while the import ran) is left, so nothing unjournaled is ever deleted. Returns how
   * many were deleted.
   */
  async deleteUnchanged(kind: EntityKind, entries: ReadonlyArray<{ pk: string; sk: string; before: Record<string, unknown> | null }>): Promise<number> {
    let deleted = 0;
    await mapLimit([...entries], this.opts.conditionalConcurrency ?? 16, async ({ pk, sk, before }) => {
      const names: Record<string, string> = { '#i': 'importId' };
      const values: Record<string, unknown> = {};
      const conditions = [typeof before?.importId === 'string' ? '#i = :i' : 'attribute_not_exists(#i)'];
      if (typeof before?.importId === 'string') values[':i'] = before.importId;
      if (before?.updatedAt !== undefined) {
        names['#u'] = 'updatedAt';
        values[':u'] = before.updatedAt;
        conditions.push('#u = :u');
      }
      try {
        await this.doc.send(
          new DeleteCommand({
            TableName: this.tables[kind],
            Key: { pk, sk },
            ConditionExpression: conditions.join(' AND '),
            ExpressionAttributeNames: names,
            ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
          }),
        );
        deleted++;
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException) && (err as Error).name !== 'ConditionalCheckFailedException') throw err;
      }
    });
    return deleted;
  }

  /** Puts (creates or replaces) the records. */
  async putAll(kind: EntityKind, userId: string, importId: string, records: readonly PlainRecord[]): Promise<void> {
    await batchPut(
      this.doc,
      this.tables[kind],
      records.map((r) => this.toItem(kind, userId, importId, r)),
      this.opts,
    );
  }

  /** Puts each record only where the user has no item with its id; returns how many were written. */
  async putAbsent(kind: EntityKind, userId: string, importId: string, records: readonly PlainRecord[]): Promise<number> {
    let written = 0;
    await mapLimit(records, this.opts.conditionalConcurrency ?? 16, async (r) => {
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tables[kind],
            Item: this.toItem(kind, userId, importId, r),
            // Absent, or written by this same import before a crash (a re-run rewrites it identically).
            ConditionExpression: 'attribute_not_exists(pk) OR importId = :me',
            ExpressionAttributeValues: { ':me': importId },
          }),
        );
        written++;
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
      }
    });
    return written;
  }

  /** A user's items of one kind in one partition (a transactions shard, or the user), page by page: memory stays one page. */
  async *itemsOf(kind: EntityKind, partition: string): AsyncGenerator<Record<string, unknown>[]> {
    let start: Record<string, unknown> | undefined;
    do {
      const out: QueryCommandOutput = await this.doc.send(
        new QueryCommand({
          TableName: this.tables[kind],
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': partition },
          ExclusiveStartKey: start,
        }),
      );
      yield out.Items ?? [];
      start = out.LastEvaluatedKey;
    } while (start);
  }

  /**
   * One page after another of a user's transactions dated in [fromMs, toMs] (every shard, through
   * the index by date), with the fields the index holds (TRANSACTIONS_BY_DATE.projected).
   */
  async *transactionsDated(userId: string, fromMs: number, toMs: number): AsyncGenerator<Record<string, unknown>[]> {
    for (const pk of userPartitions('transactions', userId)) {
      let start: Record<string, unknown> | undefined;
      do {
        const out: QueryCommandOutput = await this.doc.send(
          new QueryCommand({
            TableName: this.tables.transactions,
            IndexName: TRANSACTIONS_BY_DATE.name,
            KeyConditionExpression: '#p = :pk AND #d BETWEEN :from AND :to',
            ExpressionAttributeNames: { '#p': TRANSACTIONS_BY_DATE.partitionKey, '#d': TRANSACTIONS_BY_DATE.sortKey },
            ExpressionAttributeValues: { ':pk': pk, ':from': fromMs, ':to': toMs },
            ExclusiveStartKey: start,
          }),
        );
        yield out.Items ?? [];
        start = out.LastEvaluatedKey;
      } while (start);
    }
  }

  /** All of a user's items of one kind (every transaction shard), for read-back and tests. */
  async listUserItems(kind: EntityKind, userId: string): Promise<Record<string, unknown>[]> {
    const parts = await mapLimit(userPartitions(kind, userId), 8, async (pk) => {
      const items: Record<string, unknown>[] = [];
      for await (const page of this.itemsOf(kind, pk)) items.push(...page);
      return items;
    });
    return parts.flat();
  }
}
