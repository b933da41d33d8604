import { execSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { workerBundles } from '../../infra/import-stack';
import { resolveLimits } from '../../functions/fzip/limits';
import type { FromWorker, ToWorker } from '../../functions/fzip/check-thread';

const ROOT = join(__dirname, '..', '..');

describe('the Validate Lambda bundle', () => {
  it('holds the check worker beside the handler, and that worker answers a batch', async () => {
    const out = mkdtempSync(join(tmpdir(), 'worker-bundle-'));
    try {
      for (const command of workerBundles(['functions/fzip/check-worker.ts']).afterBundling(ROOT, out)) execSync(command, { stdio: 'pipe' });
      const file = join(out, 'check-worker.js'); // where check-thread.ts looks: beside the bundle's index.js
      expect(existsSync(file)).toBe(true);
      const worker = new Worker(file);
      const text = '{"transactionId":"e0000000-0000-4000-8000-000000000001","accountId":"a0000000-0000-4000-8000-000000000001","date":1,"description":"x","amount":"1e400"}';
      const answer = new Promise<FromWorker>((resolve, reject) => {
        worker.on('message', (m: FromWorker) => m.t !== 'ready' && resolve(m)); // it says when its code is loaded
        worker.once('error', reject);
      });
      const references = { accountIds: ['a0000000-0000-4000-8000-000000000001'], fileIds: [], categoryIds: [] };
      worker.postMessage({ t: 'begin', id: 1, spec: { file: 'data/transactions.json', limits: resolveLimits({}), references } } satisfies ToWorker);
      worker.postMessage({ t: 'batch', id: 1, text, ends: new Uint32Array([text.length]), indexes: new Uint32Array([0]), keys: new Uint32Array([5]) } satisfies ToWorker);
      const m = await answer;
      await worker.terminate();
      expect(m).toMatchObject({ t: 'verdict', id: 1, verdict: { issues: [[0, 'error', expect.objectContaining({ code: 'INVALID_VALUE', field: '/amount' })]], unsettled: [''] } });
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
