/**
 * The confirm call's per-record decisions (`{kind, id, action: overwrite | skip}`), kept beside
 * the staged data for the write steps: a decision overrides the merge strategy for its id. Each
 * confirm request writes its own object (staging/{importId}/decisions/{requestId}.json) and the
 * job names the one whose confirm won, so a concurrent confirm can never change what runs.
 */
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { EntityKind } from '../fzip/entities';
import { stagingPrefix } from '../jobs/package-store';

export type DecisionAction = 'overwrite' | 'skip';
export interface Decision {
  kind: EntityKind;
  id: string;
  action: DecisionAction;
}
/** `${kind}#${id}` -> action. */
export type Decisions = Map<string, DecisionAction>;

/** Where one confirm request keeps its decisions. */
export function decisionsKey(importId: string, requestId: string): string {
  return `${stagingPrefix(importId)}decisions/${requestId}.json`;
}

export async function writeDecisions(s3: S3Client, bucket: string, key: string, decisions: Decision[]): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(decisions), ContentType: 'application/json' }));
}

/** The decisions at `key` (the job's decisionsKey); none when the import was not confirmed with any. */
export async function readDecisions(s3: S3Client, bucket: string, key: string | undefined): Promise<Decisions> {
  if (key === undefined) return new Map();
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const list = JSON.parse((await out.Body?.transformToString('utf8')) ?? '[]') as Decision[];
    return new Map(list.map((d) => [`${d.kind}#${d.id}`, d.action]));
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return new Map();
    throw err;
  }
}
