/**
 * `npm run demo`: the whole system in one command. Starts the embedded stack (fresh, on free
 * ports), generates a realistic package, imports it through the REST API exactly as a client
 * would, then imports it again with skip_existing to show everything skipped.
 */
import './polyfills';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from './stack';
import { writePackageFile } from '../functions/fzip/writer';
import { syntheticPackage } from '../cli/synthetic-package';
import { main as fzip } from '../cli/fzip';
import { countsText } from '../functions/jobs/vocabulary';

const TRANSACTIONS = Number(process.env.DEMO_TRANSACTIONS ?? 20000);

async function demo(): Promise<number> {
  process.env.LOG_LEVEL ??= 'warn';
  const dir = mkdtempSync(join(tmpdir(), 'fzip-demo-'));
  const stack = await startLocalStack({ dataDir: join(dir, 'data'), apiPort: 0, cleanupIntervalSeconds: 0 });
  try {
    console.log(`local stack up: API ${stack.apiUrl}, Step Functions ${stack.sfnEndpoint}`);
    const file = join(dir, 'demo.fzip');
    const written = await writePackageFile(syntheticPackage({ transactions: TRANSACTIONS, accounts: 3, files: 12, seed: 2026 }), file);
    const c = written.counts;
    console.log(`generated ${file}: ${countsText(c)}\n`);
    const auth = ['--api', stack.apiUrl, '--token', stack.issuer.sign('demo-user')];
    console.log('== import (mergeStrategy fail_on_conflict) ==');
    const first = await fzip(['import', file, ...auth]);
    console.log('\n== the same package again (mergeStrategy skip_existing) ==');
    const second = await fzip(['import', file, '--strategy', 'skip_existing', ...auth]);
    console.log('\n== your imports ==');
    await fzip(['jobs', ...auth]);
    return first === 0 && second === 0 ? 0 : 1;
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

demo().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`demo failed: ${(err as Error).message}`);
    process.exit(1);
  },
);
