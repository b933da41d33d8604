/** CreateTable inputs for the local stack and the tests (the CDK stack declares the same keys). */
import { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { EXPORT_TABLE, JOB_TABLE } from '../functions/jobs/job-table';
import { ENTITY_KINDS, EntityKind } from '../functions/fzip/entities';
import { TRANSACTIONS_BY_DATE } from '../functions/entities/entity-tables';

type Index = { name: string; partitionKey: string; sortKey: string; projected?: readonly string[]; keysOnly?: boolean };

/** A table keyed by one string attribute with global secondary indexes of (string, number) keys. */
function indexedTable(tableName: string, key: string, indexes: Index[]): CreateTableCommandInput {
  const attributes = new Map<string, 'S' | 'N'>([[key, 'S']]);
  for (const i of indexes) {
    attributes.set(i.partitionKey, 'S');
    attributes.set(i.sortKey, 'N');
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
    GlobalSecondaryIndexes: indexes.map((i) => ({
      IndexName: i.name,
      KeySchema: [
        { AttributeName: i.partitionKey, KeyType: 'HASH' },
        { AttributeName: i.sortKey, KeyType: 'RANGE' },
      ],
      Projection: i.projected ? { ProjectionType: 'INCLUDE', NonKeyAttributes: [...i.projected] } : { ProjectionType: i.keysOnly ? 'KEYS_ONLY' : 'ALL' },
    })),
  };
}

export function jobTableDefinition(tableName: string): CreateTableCommandInput {
  const t = JOB_TABLE;
  return indexedTable(tableName, t.partitionKey, [t.byUser, { ...t.byStatus, keysOnly: true }, t.byExpiry]);
}

/** The export table: key exportId, byUser (userId, createdAt), byExpiry. */
export function exportTableDefinition(tableName: string): CreateTableCommandInput {
  const t = EXPORT_TABLE;
  return indexedTable(tableName, t.partitionKey, [t.byUser, t.byExpiry]);
}

/** The entity tables of one stack: the transactions' one with its index by date. */
export function entityTableDefinitions(names: Record<EntityKind, string>): CreateTableCommandInput[] {
  return ENTITY_KINDS.map((k) => {
    const table = entityTableDefinition(names[k]);
    if (k !== 'transactions') return table;
    const i = TRANSACTIONS_BY_DATE;
    return {
      ...table,
      AttributeDefinitions: [...table.AttributeDefinitions!, { AttributeName: i.sortKey, AttributeType: 'N' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: i.name,
          KeySchema: [
            { AttributeName: i.partitionKey, KeyType: 'HASH' },
            { AttributeName: i.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...i.projected] },
        },
      ],
    };
  });
}

/** An entity table: PK pk (the user, or user#shard for transactions), SK sk (the entity id). */
export function entityTableDefinition(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
  };
}

