/**
 * The confirm call's per-record decisions (`{kind, id, action: overwrite | skip}`), kept beside
 * the staged data (staging/{importId}/decisions.json) for the write steps: a decision overrides
 * the merge strategy for its id.
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

function key(importId: string): string {
  return `${stagingPrefix(importId)}decisions.json`;
}

export async function writeDecisions(s3: S3Client, bucket: string, importId: string, decisions: Decision[]): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key(importId), Body: JSON.stringify(decisions), ContentType: 'application/json' }));
}

export async function readDecisions(s3: S3Client, bucket: string, importId: string): Promise<Decisions> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key(importId) }));
    const list = JSON.parse((await out.Body?.transformToString('utf8')) ?? '[]') as Decision[];
    return new Map(list.map((d) => [`${d.kind}#${d.id}`, d.action]));
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return new Map();
    throw err;
  }
}
