/**
 * Export throughput in a fresh process: a user's data (written straight into dynalite, not
 * timed) exported as the export state machine does — the 16 transaction shards staged 4 at a
 * time, then the package written through a multipart upload — versus the floor: plain Queries
 * of the same items (16 shards, 4 at a time), no other work. Peak RSS of the whole process.
 *   node dist/bench/export-child.js <transactions>
 */
import '../local/polyfills';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { localClients } from '../local/servers';
import { entityTableDefinitions, exportTableDefinition } from '../local/tables';
import { EntityStore } from '../functions/entities/entity-store';
import { batchPut, mapLimit } from '../functions/entities/batch-writer';
import { ExportStore } from '../functions/jobs/export-store';
import { exportPackageKey } from '../functions/jobs/export-job';
import { exportComplete, exportStart, exportTransactionsShard, exportWritePackage, ExportDeps } from '../functions/workflow/export-phase';
import { userPartitions } from '../functions/entities/entity-tables';
import { Logger } from '../functions/shared/logger';
import { syntheticPackage } from '../cli/synthetic-package';
import { PlainRecord } from '../functions/fzip/normalize';
import { ENTITY_KINDS, entityTableNames } from '../functions/fzip/entities';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 10000);
  process.env.LOG_LEVEL = 'silent';
  const tables = entityTableNames('e-');
  // The stand-ins run in a process of their own: the peak RSS measured here is the export's alone.
  const proc = spawn(process.execPath, [
    join(__dirname, 'servers-child.js'),
    JSON.stringify({ buckets: ['bench', 'bench-files'], tables: [exportTableDefinition('e-exports'), ...entityTableDefinitions(tables)] }),
  ], { stdio: ['pipe', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve) => createInterface({ input: proc.stdout! }).once('line', resolve));
  const endpoints = JSON.parse(first) as { dynamoEndpoint: string; s3Endpoint: string };
  const servers = { ...localClients(endpoints.dynamoEndpoint, endpoints.s3Endpoint), stop: async () => { proc.stdin!.end(); await new Promise((r) => proc.once('exit', r)); } };
  try {
    const entities = new EntityStore(servers.doc, tables, { concurrency: 4 });
    const userId = 'bench-user';
    const pkg = syntheticPackage({ transactions: n, seed: 5, files: 0 });
    // Load the user's data (not timed), in slices so the loader's memory stays small too.
    for (const kind of ENTITY_KINDS) {
      let slice: Record<string, unknown>[] = [];
      const flush = async () => {
        await batchPut(servers.doc, tables[kind], slice, { concurrency: 8 });
        slice = [];
      };
      for await (const r of (pkg[kind] ?? []) as AsyncIterable<PlainRecord>) {
        const { userId: _u, ...rest } = r;
        slice.push(entities.toItem(kind, userId, 'bench-import', rest));
        if (slice.length >= 5000) await flush();
      }
      await flush();
    }
    const exports = new ExportStore(servers.doc, { tableName: 'e-exports', retentionDays: 1, maxUnfinishedPerUser: 10 });
    const deps: ExportDeps = { exports, entities, s3: servers.s3, packagesBucket: 'bench', filesBucket: 'bench-files', logger: new Logger('bench', {}, () => undefined) };
    const exportId = randomUUID();
    const input = { exportId, userId, bucket: 'bench', packageKey: exportPackageKey(userId, exportId) };
    await exports.create(exportId, userId, input.packageKey);

    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    let t0 = process.hrtime.bigint();
    const { shards } = await exportStart(input, deps);
    await mapLimit(shards, 4, (shard) => exportTransactionsShard({ ...input, shard }, deps));
    await exportWritePackage(input, deps);
    await exportComplete(input, deps);
    const exportSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    clearInterval(sampler);
    const job = await exports.get(exportId);

    t0 = process.hrtime.bigint();
    let queried = 0;
    await mapLimit(userPartitions('transactions', userId), 4, async (pk) => {
      for await (const page of entities.itemsOf('transactions', pk)) queried += page.length;
    });
    const floorSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    process.stdout.write(
      JSON.stringify({
        records: job?.counts?.transactions ?? 0,
        queried,
        exportSeconds,
        floorSeconds,
        exportRecordsPerSec: n / exportSeconds,
        floorRecordsPerSec: queried / floorSeconds,
        packageBytes: job?.packageSize ?? 0,
        peakRssMB: peak / 1024 / 1024,
        baseRssMB: rssBefore / 1024 / 1024,
      }) + '\n',
    );
  } finally {
    await servers.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
