/**
 * BatchWriteItem in groups of 25 with UnprocessedItems resent under capped exponential
 * backoff with full jitter, several groups in flight at once. DynamoDB may accept only part
 * of a batch when throttled; the SDK's own retries do not cover that.
 */
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export class BatchWriteIncompleteError extends Error {
  constructor(readonly unprocessed: number) {
    super(`${unprocessed} item(s) were still unprocessed after every retry (throttling)`);
    this.name = 'BatchWriteIncompleteError';
  }
}

export interface BatchWriterOptions {
  concurrency?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Runs `worker` over `items` with at most `limit` in flight. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, worker: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await worker(items[i], i);
    }
  });
  await Promise.all(lanes);
  return results;
}

export async function batchPut(
  doc: DynamoDBDocumentClient,
  table: string,
  items: readonly Record<string, unknown>[],
  opts: BatchWriterOptions = {},
): Promise<void> {
  const maxAttempts = opts.maxAttempts ?? 8;
  const base = opts.baseDelayMs ?? 50;
  const cap = opts.maxDelayMs ?? 5000;
  const sleep = opts.sleep ?? defaultSleep;
  const random = opts.random ?? Math.random;
  const groups: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) groups.push(items.slice(i, i + 25) as Record<string, unknown>[]);
  await mapLimit(groups, opts.concurrency ?? 4, async (group) => {
    let pending = group.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; pending.length; attempt++) {
      const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
      if (!pending.length) break;
      if (attempt >= maxAttempts) throw new BatchWriteIncompleteError(pending.length);
      await sleep(random() * Math.min(cap, base * 2 ** attempt));
    }
  });
}
