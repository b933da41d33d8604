/**
 * BatchWriteItem in groups of 25 with UnprocessedItems resent under capped exponential
 * backoff with full jitter, several groups in flight at once. DynamoDB may accept only part
 * of a batch when throttled; the SDK's own retries do not cover that.
 */
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Throttled past every retry: the state machine retries the step (the name is in its retriers). */
export class BatchWriteIncompleteError extends Error {
  constructor(
    readonly unprocessed: number,
    what: 'written' | 'read' = 'written',
  ) {
    super(`${unprocessed} item(s) could not be ${what} after every retry (throttling)`);
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

/**
 * Sends `pending`, then what came back unprocessed, until nothing is left, waiting between
 * tries with capped exponential backoff and full jitter (sleep and random injectable for tests).
 * Used for BatchWriteItem's UnprocessedItems and BatchGetItem's UnprocessedKeys alike.
 */
export async function untilProcessed<T>(pending: T[], send: (batch: T[]) => Promise<T[]>, opts: BatchWriterOptions, giveUp: (left: number) => Error): Promise<void> {
  const maxAttempts = opts.maxAttempts ?? 8;
  const base = opts.baseDelayMs ?? 50;
  const cap = opts.maxDelayMs ?? 5000;
  const sleep = opts.sleep ?? defaultSleep;
  const random = opts.random ?? Math.random;
  for (let attempt = 1; pending.length; attempt++) {
    pending = await send(pending);
    if (!pending.length) return;
    if (attempt >= maxAttempts) throw giveUp(pending.length);
    await sleep(random() * Math.min(cap, base * 2 ** attempt));
  }
}

export async function batchPut(
  doc: DynamoDBDocumentClient,
  table: string,
  items: readonly Record<string, unknown>[],
  opts: BatchWriterOptions = {},
): Promise<void> {
  const groups: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) groups.push(items.slice(i, i + 25) as Record<string, unknown>[]);
  type Put = { PutRequest: { Item: Record<string, unknown> } };
  await mapLimit(groups, opts.concurrency ?? 4, (group) =>
    untilProcessed<Put>(
      group.map((Item) => ({ PutRequest: { Item } })),
      async (pending) => {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
        return (out.UnprocessedItems?.[table] ?? []) as Put[];
      },
      opts,
      (left) => new BatchWriteIncompleteError(left),
    ),
  );
}
