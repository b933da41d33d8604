/**
 * node dist/bench/analytics-child.js <transactions>
 * The analytics of a user with N transactions (dynalite in its own process, so the peak RSS is
 * the rebuild's alone): a full rebuild, then an import that changes transactions in 2 months and
 * the recompute of those 2 months, with the transactions each read (what DynamoDB bills). The
 * recompute's figures are checked against a full rebuild of the same data.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { localClients } from '../local/servers';
import { entityTableDefinition, entityTableDefinitions } from '../local/tables';
import { EntityStore } from '../functions/entities/entity-store';
import { batchPut } from '../functions/entities/batch-writer';
import { Logger } from '../functions/shared/logger';
import { syntheticPackage } from '../cli/synthetic-package';
import { PlainRecord } from '../functions/fzip/normalize';
import { entityTableNames } from '../functions/fzip/entities';
import { AnalyticsStore } from '../functions/analytics/analytics-store';
import { monthOf } from '../functions/analytics/aggregate';
import { rebuildAnalytics } from '../functions/analytics/rebuild';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 10000);
  process.env.LOG_LEVEL = 'silent';
  const tables = entityTableNames('a-');
  const proc = spawn(process.execPath, [join(__dirname, 'servers-child.js'), JSON.stringify({ buckets: [], tables: [...entityTableDefinitions(tables), entityTableDefinition('a-analytics')] })], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const first = await new Promise<string>((resolve) => createInterface({ input: proc.stdout! }).once('line', resolve));
  const endpoints = JSON.parse(first) as { dynamoEndpoint: string; s3Endpoint: string };
  const { doc } = localClients(endpoints.dynamoEndpoint, endpoints.s3Endpoint);
  try {
    const entities = new EntityStore(doc, tables, { concurrency: 4 });
    const analytics = new AnalyticsStore(doc, 'a-analytics');
    const deps = { entities, analytics, logger: new Logger('bench', {}, () => undefined) };
    const userId = 'bench-user';
    const pkg = syntheticPackage({ transactions: n, seed: 9, files: 0 });
    // the user's history (not timed); two months of it are kept to be changed by "an import"
    const byMonth = new Map<string, PlainRecord[]>();
    for (const kind of ['accounts', 'categories', 'transactions'] as const) {
      let slice: Record<string, unknown>[] = [];
      const flush = async () => {
        await batchPut(doc, tables[kind], slice, { concurrency: 8 });
        slice = [];
      };
      for await (const r of (pkg[kind] ?? []) as AsyncIterable<PlainRecord>) {
        const { userId: _u, ...rest } = r;
        slice.push(entities.toItem(kind, userId, 'history', rest));
        if (kind === 'transactions') {
          const m = monthOf(rest.date as number);
          const kept = byMonth.get(m) ?? byMonth.set(m, []).get(m)!;
          if (kept.length < 50) kept.push(rest);
        }
        if (slice.length >= 5000) await flush();
      }
      await flush();
    }

    const measure = async <T>(run: () => Promise<T>) => {
      const rssBefore = process.memoryUsage().rss;
      let peak = rssBefore;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
      const t0 = process.hrtime.bigint();
      const result = await run();
      clearInterval(sampler);
      return { result, seconds: Number(process.hrtime.bigint() - t0) / 1e9, peakRssMB: peak / 1024 / 1024, baseRssMB: rssBefore / 1024 / 1024 };
    };
    const full = await measure(() => rebuildAnalytics(userId, deps));

    // an import changing 50 transactions in each of two months (one moved between them)
    const months = [...byMonth.keys()].sort();
    const [m1, m2] = months.length >= 12 ? months.slice(10, 12) : months.slice(0, 2);
    const changed = [...byMonth.get(m1)!, ...byMonth.get(m2)!].map((t, i) => ({ ...t, amount: `${i + 1}.99` }));
    await entities.putAll('transactions', userId, 'an-import', changed);
    const touched = await measure(() => rebuildAnalytics(userId, deps, [m1, m2]));
    const incremental = await analytics.months(userId, '0000-01', '9999-12');
    const check = await rebuildAnalytics(userId, deps);
    const again = await analytics.months(userId, '0000-01', '9999-12');
    const inMonths = (await entities.listUserItems('transactions', userId)).filter((t) => [m1, m2].includes(monthOf(t.date as number))).length;
    process.stdout.write(
      JSON.stringify({
        transactions: n,
        fullSeconds: full.seconds,
        fullRead: full.result.transactionsRead,
        fullMonths: full.result.months,
        fullPeakRssMB: full.peakRssMB,
        baseRssMB: full.baseRssMB,
        touchedSeconds: touched.seconds,
        touchedRead: touched.result.transactionsRead,
        touchedIncremental: touched.result.incremental,
        touchedInMonths: inMonths,
        touchedPeakRssMB: touched.peakRssMB,
        equal: JSON.stringify(incremental.months) === JSON.stringify(again.months) && check.transactionsRead === n,
      }) + '\n',
    );
  } finally {
    proc.stdin!.end();
    await new Promise((r) => proc.once('exit', r));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
