/**
 * Import throughput in a fresh process: the transactions phase (staged chunks read back from
 * S3 and written, 4 chunks at a time like the Map state) versus the floor: the same items
 * written with plain BatchWriteItem at the same concurrency, no other work, same dynalite.
 *   node dist/bench/import-child.js <transactions>
 */
import '../local/polyfills';
import { randomUUID } from 'node:crypto';
import { startLocalServers } from '../local/servers';
import { entityTableDefinition, entityTableDefinitions, jobTableDefinition } from '../local/tables';
import { JobStore } from '../functions/jobs/job-store';
import { EntityStore } from '../functions/entities/entity-store';
import { StagingWriter } from '../functions/entities/staging';
import { batchPut, mapLimit } from '../functions/entities/batch-writer';
import { importTransactionsChunk } from '../functions/workflow/import-phase';
import { Logger } from '../functions/shared/logger';
import { syntheticPackage } from '../cli/synthetic-package';
import { PlainRecord } from '../functions/fzip/normalize';
import { ENTITY_KINDS, entityTableNames } from '../functions/fzip/entities';
import { emptyResult } from '../functions/jobs/job';

const MAP_CONCURRENCY = 4;
const BATCH_CONCURRENCY = 4;

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 10000);
  process.env.LOG_LEVEL = 'silent';
  const tables = entityTableNames('b-');
  const servers = await startLocalServers({
    buckets: ['bench'],
    tables: [jobTableDefinition('b-jobs'), ...entityTableDefinitions(tables), entityTableDefinition('b-floor')],
  });
  try {
    const jobs = new JobStore(servers.doc, { tableName: 'b-jobs', retentionDays: 1, pendingTtlSeconds: 3600, maxUnfinishedJobsPerUser: 10 });
    const entities = new EntityStore(servers.doc, tables, { concurrency: BATCH_CONCURRENCY });
    const importId = randomUUID();
    const userId = 'bench-user';
    await jobs.create({ importId, userId, mergeStrategy: 'fail_on_conflict', validateOnly: false, packageFormat: 'fzip', packageS3Key: 'k' });
    const importResults = Object.fromEntries(ENTITY_KINDS.map((k) => [k, emptyResult()]));
    for (const s of ['validating', 'validation_passed', 'processing'] as const) await jobs.transition(importId, s, s === 'processing' ? { importResults } : {});

    // Stage the transactions as the validate phase does (not timed).
    const records: PlainRecord[] = [...(syntheticPackage({ transactions: n, seed: 5 }).transactions as Iterable<PlainRecord>)].map((r) => {
      const { userId: _u, ...rest } = r;
      return rest;
    });
    const staging = new StagingWriter(servers.s3, 'bench', importId, async () => new Map<string, Record<string, unknown>>());
    for (const r of records) await staging.add('transactions', r);
    const manifest = await staging.finish();
    const deps = { jobs, s3: servers.s3, entities, filesBucket: 'bench', logger: new Logger('bench', {}, () => undefined) };
    const input = { importId, userId, bucket: 'bench', packageKey: 'k' };

    const chunks = Array.from({ length: manifest.chunks.transactions }, (_, i) => i);
    let t0 = process.hrtime.bigint();
    await mapLimit(chunks, MAP_CONCURRENCY, (chunk) => importTransactionsChunk({ ...input, chunk }, deps));
    const phaseSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

    const items = records.map((r) => entities.toItem('transactions', userId, importId, r));
    const groups: Record<string, unknown>[][] = [];
    for (let i = 0; i < items.length; i += 5000) groups.push(items.slice(i, i + 5000));
    t0 = process.hrtime.bigint();
    await mapLimit(groups, MAP_CONCURRENCY, (g) => batchPut(servers.doc, 'b-floor', g, { concurrency: BATCH_CONCURRENCY }));
    const floorSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

    process.stdout.write(JSON.stringify({ items: n, phaseSeconds, floorSeconds, phaseItemsPerSec: n / phaseSeconds, floorItemsPerSec: n / floorSeconds }) + '\n');
  } finally {
    await servers.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
