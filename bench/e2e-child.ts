/**
 * End to end: a package through the local REST API to `completed` (create, presigned POST upload,
 * S3 event, state machine), wall time and each phase's share from the execution's events.
 *   node dist/bench/e2e-child.js <transactions>
 */
import '../local/polyfills';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '../local/stack';
import { writePackageFile } from '../functions/fzip/writer';
import { syntheticPackage } from '../cli/synthetic-package';
import { FzipClient, isFinishedJob } from '../cli/client';

const PHASES = ['Validate package', 'Import accounts', 'Import categories', 'Import file maps', 'Import transaction files', 'Import transactions', 'Complete import'];

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 100000);
  process.env.LOG_LEVEL = 'silent';
  const dir = mkdtempSync(join(tmpdir(), 'fzip-bench-'));
  const stack = await startLocalStack({ apiPort: 0, cleanupIntervalSeconds: 0 });
  try {
    const file = join(dir, 'p.fzip');
    await writePackageFile(syntheticPackage({ transactions: n, seed: 9 }), file);
    const client = new FzipClient({ api: stack.apiUrl, token: stack.issuer.sign('bench') });
    const t0 = Date.now();
    const created = await client.create({});
    await client.upload(created.uploadUrl, file);
    await client.start(created.importId);
    let job = await client.status(created.importId);
    while (!isFinishedJob(job)) {
      await new Promise((r) => setTimeout(r, 200));
      job = await client.status(created.importId);
    }
    const wallSeconds = (Date.now() - t0) / 1000;
    if (job.status !== 'completed') throw new Error(`import ended ${job.status}: ${job.errorMessage}`);
    const events = stack.machine.executions.get(created.importId)!.events;
    const phases: Record<string, number> = {};
    for (const name of PHASES) {
      const at = (type: string) => events.find((e) => e.type === type && (e.state as { name?: string })?.name === name)?.timestamp as number | undefined;
      const start = at('StateEntered');
      const end = at('StateExited');
      if (start !== undefined && end !== undefined) phases[name] = (end - start) / 1000;
    }
    process.stdout.write(JSON.stringify({ transactions: n, wallSeconds, phases }) + '\n');
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
