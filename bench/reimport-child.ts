/**
 * The same backup twice, through the local REST API: a first import (not timed), then a check of
 * the same package (validateOnly) and a second import of it, each timed from create to its end.
 * The second import should cost about one validation and write nothing: the items still carrying
 * the first import's id are counted, over every kind.
 *   node dist/bench/reimport-child.js <transactions>
 */
import '../local/polyfills';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '../local/stack';
import { writePackageFile } from '../functions/fzip/writer';
import { syntheticPackage } from '../cli/synthetic-package';
import { FzipClient, isFinishedJob } from '../cli/client';
import { EntityStore } from '../functions/entities/entity-store';
import { ENTITY_KINDS, entityTableNames } from '../functions/fzip/entities';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 100000);
  process.env.LOG_LEVEL = 'silent';
  const dir = mkdtempSync(join(tmpdir(), 'fzip-bench-'));
  const stack = await startLocalStack({ apiPort: 0, cleanupIntervalSeconds: 0 });
  try {
    const file = join(dir, 'p.fzip');
    await writePackageFile(syntheticPackage({ transactions: n, seed: 9 }), file);
    const client = new FzipClient({ api: stack.apiUrl, token: stack.issuer.sign('bench') });
    const run = async (body: { validateOnly?: boolean }) => {
      const t0 = Date.now();
      const created = await client.create(body);
      await client.upload(created.uploadUrl, file);
      await client.start(created.importId);
      let job = await client.status(created.importId);
      while (!isFinishedJob(job)) {
        await new Promise((r) => setTimeout(r, 100));
        job = await client.status(created.importId);
      }
      return { job, seconds: (Date.now() - t0) / 1000 };
    };
    const first = await run({});
    if (first.job.status !== 'completed') throw new Error(`first import ended ${first.job.status}: ${first.job.errorMessage}`);
    const check = await run({ validateOnly: true });
    const again = await run({});
    if (again.job.status !== 'completed') throw new Error(`second import ended ${again.job.status}: ${again.job.errorMessage}`);
    const entities = new EntityStore(stack.servers.doc, entityTableNames('fzip-'));
    let items = 0;
    let rewritten = 0;
    for (const kind of ENTITY_KINDS) {
      for (const item of await entities.listUserItems(kind, 'bench')) {
        items++;
        if (item.importId !== first.job.importId) rewritten++;
      }
    }
    const results = again.job.importResults as Record<string, { unchanged?: number }>;
    process.stdout.write(
      JSON.stringify({
        transactions: n,
        firstSeconds: first.seconds,
        validateSeconds: check.seconds,
        reimportSeconds: again.seconds,
        ratio: again.seconds / check.seconds,
        items,
        rewritten,
        unchanged: Object.values(results).reduce((a, r) => a + (r.unchanged ?? 0), 0),
        journalParts: (again.job as { journalParts?: number }).journalParts ?? 0,
      }) + '\n',
    );
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
