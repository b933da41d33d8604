/**
 * Analytics per user in DynamoDB (pk = userId, sk): a status item (#status) and, per build
 * generation, one item per month and currency (g{generation}#{YYYY-MM}#{currency}, the figures
 * as JSON). A rebuild asks for a new generation (the analytics are stale from then), writes its
 * items, then makes them current only if no newer generation is current already; readers read
 * the current generation only. So two rebuilds close together, or an event delivered twice,
 * leave the figures of the latest state, never a mix.
 */
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { MonthAnalytics } from './aggregate';

export interface AnalyticsStatus {
  /** The generation readers see; absent before the first build. */
  current?: number;
  /** The newest generation asked for. */
  requested?: number;
  /** A rebuild is asked for or running: the current figures may be behind the data. */
  stale: boolean;
  builtAt?: number;
  /** Transactions the current build left out (no usable date or amount), in all and by month. */
  skipped?: number;
  skippedByMonth?: Record<string, number>;
  /** Names of the accounts and categories, as of the current build. */
  names?: { accounts: Record<string, string>; categories: Record<string, string> };
}

const STATUS = '#status';
const gen = (g: number) => `g${String(g).padStart(10, '0')}#`;

export class AnalyticsStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => number = Date.now,
  ) {}

  async status(userId: string): Promise<AnalyticsStatus> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: userId, sk: STATUS }, ConsistentRead: true }));
    const item = out.Item ?? {};
    return {
      ...(typeof item.current === 'number' ? { current: item.current } : {}),
      ...(typeof item.requested === 'number' ? { requested: item.requested } : {}),
      stale: item.requested !== undefined && item.requested !== item.current,
      ...(typeof item.builtAt === 'number' ? { builtAt: item.builtAt } : {}),
      ...(typeof item.skipped === 'number' ? { skipped: item.skipped } : {}),
      ...(typeof item.skippedByMonth === 'string' ? { skippedByMonth: JSON.parse(item.skippedByMonth) } : {}),
      ...(typeof item.names === 'string' ? { names: JSON.parse(item.names) } : {}),
    };
  }

  /** A new generation is asked for: the analytics are stale until it (or a newer one) is current. */
  async request(userId: string): Promise<number> {
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: userId, sk: STATUS },
        UpdateExpression: 'SET requested = if_not_exists(requested, :zero) + :one',
        ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Number(out.Attributes?.requested);
  }

  /** Writes a generation's months, then makes it current unless a newer one is; older generations are removed. */
  async publish(
    userId: string,
    generation: number,
    months: MonthAnalytics[],
    skippedByMonth: Record<string, number>,
    names: AnalyticsStatus['names'] = { accounts: {}, categories: {} },
  ): Promise<boolean> {
    const skipped = Object.values(skippedByMonth).reduce((a, b) => a + b, 0);
    const items = months.map((m) => ({ pk: userId, sk: `${gen(generation)}${m.month}#${m.currency}`, data: JSON.stringify(m) }));
    for (let i = 0; i < items.length; i += 25) await this.write(items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })));
    let current = true;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: userId, sk: STATUS },
          UpdateExpression: 'SET #c = :g, builtAt = :now, skipped = :s, skippedByMonth = :sm, #n = :n',
          ConditionExpression: 'attribute_not_exists(#c) OR #c < :g',
          ExpressionAttributeNames: { '#c': 'current', '#n': 'names' },
          ExpressionAttributeValues: { ':g': generation, ':now': this.now(), ':s': skipped, ':sm': JSON.stringify(skippedByMonth), ':n': JSON.stringify(names) },
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      current = false; // a newer build is current: this one's items go
    }
    const keep = current ? generation : (await this.status(userId)).current;
    await this.removeGenerationsExcept(userId, keep);
    return current;
  }

  /** The current generation's months between two months (inclusive). */
  async months(userId: string, from: string, to: string): Promise<{ status: AnalyticsStatus; months: MonthAnalytics[] }> {
    const status = await this.status(userId);
    if (status.current === undefined) return { status, months: [] };
    return { status, months: await this.generationMonths(userId, status.current, from, to) };
  }

  /** One generation's months between two months (inclusive); consistent reads (a recompute builds on them). */
  async generationMonths(userId: string, generation: number, from = '0000-00', to = '9999-99'): Promise<MonthAnalytics[]> {
    const prefix = gen(generation);
    const months: MonthAnalytics[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :u AND sk BETWEEN :a AND :b',
          ExpressionAttributeValues: { ':u': userId, ':a': `${prefix}${from}`, ':b': `${prefix}${to}#~` },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) months.push(JSON.parse(String(item.data)) as MonthAnalytics);
      start = out.LastEvaluatedKey;
    } while (start);
    return months;
  }

  private async removeGenerationsExcept(userId: string, keep: number | undefined): Promise<void> {
    let start: Record<string, unknown> | undefined;
    const stale: Array<{ pk: string; sk: string }> = [];
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :u AND begins_with(sk, :g)',
          ExpressionAttributeValues: { ':u': userId, ':g': 'g' },
          ProjectionExpression: 'pk, sk',
          ExclusiveStartKey: start,
        }),
      );
      // only older generations: a newer one may be being written by a rebuild still running
      for (const item of out.Items ?? []) if (keep !== undefined && Number(String(item.sk).slice(1, 11)) < keep) stale.push({ pk: String(item.pk), sk: String(item.sk) });
      start = out.LastEvaluatedKey;
    } while (start);
    for (let i = 0; i < stale.length; i += 25) await this.write(stale.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })));
  }

  private async write(requests: Array<Record<string, unknown>>): Promise<void> {
    let pending = requests;
    for (let attempt = 0; pending.length; attempt++) {
      const out = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.table]: pending } }));
      pending = (out.UnprocessedItems?.[this.table] ?? []) as Array<Record<string, unknown>>;
      if (pending.length) await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
    }
  }
}
