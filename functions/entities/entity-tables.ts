/**
 * Where imported entities live. Every key starts with the owning user, so an id taken from a
 * package can never address another user's item (housef3 keyed entities by id alone and let
 * one user's restore overwrite another's).
 *
 * - the reference kinds (accounts, categories, file maps, statement files): PK userId, SK the entity id.
 * - transactions: PK `${userId}#${shard}` with shard = a hash of transactionId modulo
 *   TRANSACTION_SHARDS, SK transactionId. DynamoDB takes ~1,000 writes/s per partition key, so
 *   a million transactions under one key would take 17 minutes at best; 16 shards spread them.
 *   A user's transactions are read back with one Query per shard (in parallel) and merged.
 */
import { createHash } from 'node:crypto';
import { ENTITY_TABLE_ENV } from '../shared/env-names';
import { ENTITY_KINDS, EntityKind } from '../fzip/entities';

export const TRANSACTION_SHARDS = 16;

export interface EntityKey {
  pk: string;
  sk: string;
}

export const ENTITY_TABLE_KEYS = { partitionKey: 'pk', sortKey: 'sk' } as const;

/**
 * The transactions table's index by date (same partition as the table: user#shard; sort key the
 * transaction's date, epoch ms), holding what the analytics add up: a month is recomputed by
 * reading that month's transactions only. Every transaction written is written to it too (one
 * more write unit each; docs/analytics.md weighs it against rebuilding from everything).
 */
export const TRANSACTIONS_BY_DATE = {
  name: 'byDate',
  partitionKey: 'pk',
  sortKey: 'date',
  projected: ['accountId', 'amount', 'currency', 'primaryCategoryId'],
} as const;

export function transactionShard(transactionId: string): number {
  return createHash('md5').update(transactionId).digest().readUInt16BE(0) % TRANSACTION_SHARDS;
}

export function entityKey(kind: EntityKind, userId: string, id: string): EntityKey {
  if (kind === 'transactions') return { pk: `${userId}#${transactionShard(id)}`, sk: id };
  return { pk: userId, sk: id };
}

/** Partition keys that hold a user's items of one kind. */
export function userPartitions(kind: EntityKind, userId: string): string[] {
  if (kind !== 'transactions') return [userId];
  return Array.from({ length: TRANSACTION_SHARDS }, (_, i) => `${userId}#${i}`);
}

export type EntityTableNames = Record<EntityKind, string>;

export function entityTableNamesFromEnv(): EntityTableNames {
  const need = (name: string): string => {
    const v = process.env[name];
    if (!v) throw new Error(`environment variable ${name} is required`);
    return v;
  };
  return Object.fromEntries(ENTITY_KINDS.map((k) => [k, need(ENTITY_TABLE_ENV[k])])) as unknown as EntityTableNames;
}
