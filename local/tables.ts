/** CreateTable inputs for the local stack and the tests (the CDK stack declares the same keys). */
import { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { EXPORT_TABLE, JOB_TABLE } from '../functions/jobs/job-table';

export function jobTableDefinition(tableName: string): CreateTableCommandInput {
  const t = JOB_TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: t.partitionKey, KeyType: 'HASH' }],
    AttributeDefinitions: [
      { AttributeName: 'importId', AttributeType: 'S' },
      { AttributeName: 'userId', AttributeType: 'S' },
      { AttributeName: 'uploadedAt', AttributeType: 'N' },
      { AttributeName: 'status', AttributeType: 'S' },
      { AttributeName: 'expiryPartition', AttributeType: 'S' },
      { AttributeName: 'expiresAt', AttributeType: 'N' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: t.byUser.name,
        KeySchema: [
          { AttributeName: t.byUser.partitionKey, KeyType: 'HASH' },
          { AttributeName: t.byUser.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: t.byStatus.name,
        KeySchema: [
          { AttributeName: t.byStatus.partitionKey, KeyType: 'HASH' },
          { AttributeName: t.byStatus.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
      {
        IndexName: t.byExpiry.name,
        KeySchema: [
          { AttributeName: t.byExpiry.partitionKey, KeyType: 'HASH' },
          { AttributeName: t.byExpiry.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...t.byExpiry.projected] },
      },
    ],
  };
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

/** The export table: key exportId, byUser (userId, createdAt), byExpiry. */
export function exportTableDefinition(tableName: string): CreateTableCommandInput {
  const t = EXPORT_TABLE;
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: t.partitionKey, KeyType: 'HASH' }],
    AttributeDefinitions: [
      { AttributeName: 'exportId', AttributeType: 'S' },
      { AttributeName: 'userId', AttributeType: 'S' },
      { AttributeName: 'createdAt', AttributeType: 'N' },
      { AttributeName: 'expiryPartition', AttributeType: 'S' },
      { AttributeName: 'expiresAt', AttributeType: 'N' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: t.byUser.name,
        KeySchema: [
          { AttributeName: t.byUser.partitionKey, KeyType: 'HASH' },
          { AttributeName: t.byUser.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: t.byExpiry.name,
        KeySchema: [
          { AttributeName: t.byExpiry.partitionKey, KeyType: 'HASH' },
          { AttributeName: t.byExpiry.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...t.byExpiry.projected] },
      },
    ],
  };
}
