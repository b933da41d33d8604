/**
 * The worker thread of check-thread.ts: inspects each batch of transaction texts it is sent
 * (TransactionInspector) and answers with the batch's verdict, in the order sent.
 */
import { parentPort } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './check-thread';
import type { JsonElement } from './json/element-splitter';
import { TransactionInspector } from './transaction-check';

const port = parentPort;
if (!port) throw new Error('check-worker.ts runs as a worker thread');
const inspectors = new Map<number, TransactionInspector>();

function batchOf(m: Extract<ToWorker, { t: 'batch' }>): JsonElement[] {
  const n = m.ends.length;
  const batch: JsonElement[] = new Array(n);
  let start = 0;
  for (let i = 0; i < n; i++) {
    batch[i] = { index: m.indexes[i], text: m.text.slice(start, m.ends[i]), keys: m.keys[i] };
    start = m.ends[i];
  }
  return batch;
}

port.on('message', (m: ToWorker) => {
  try {
    if (m.t === 'begin') {
      const r = m.spec.references;
      const refs = { accountIds: new Set(r.accountIds), fileIds: new Set(r.fileIds), categoryIds: new Set(r.categoryIds) };
      inspectors.set(m.id, new TransactionInspector(m.spec.file, m.spec.limits, refs));
    } else if (m.t === 'end') {
      inspectors.delete(m.id);
    } else {
      const inspector = inspectors.get(m.id);
      if (!inspector) return;
      const verdict = inspector.inspect(batchOf(m));
      port.postMessage({ t: 'verdict', id: m.id, verdict } satisfies FromWorker, [verdict.status.buffer as ArrayBuffer, verdict.ids.buffer as ArrayBuffer]);
    }
  } catch (err) {
    inspectors.delete(m.id);
    port.postMessage({ t: 'fail', id: m.id, message: (err as Error).message } satisfies FromWorker);
  }
});

port.postMessage({ t: 'ready' } satisfies FromWorker); // its code is loaded: batches are answered at once from now
