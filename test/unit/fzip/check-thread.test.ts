import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import zlib from 'node:zlib';
import { BatchVerdict, TransactionInspector } from '../../../functions/fzip/transaction-check';
import { CheckThread } from '../../../functions/fzip/check-thread';
import { JsonElement, JsonElementSplitter } from '../../../functions/fzip/json/element-splitter';
import { resolveLimits } from '../../../functions/fzip/limits';
import { BufferRangeSource } from '../../../functions/fzip/source';
import { validatePackage, ValidationReport } from '../../../functions/fzip/validator';
import { ACC1, ACC2, CAT1, FILE1, housef3Data, housef3Entries, housef3Manifest, pythonJson } from '../../helpers/housef3-package';
import { buildZip } from '../../helpers/raw-zip';

const N = 12_000;

/** Fields that make a transaction larger than a DynamoDB item may be (50 × 9,000 characters). */
function bigFields(): Record<string, string> {
  return Object.fromEntries(Array.from({ length: 50 }, (_, k) => [`big${k}`, 'x'.repeat(9000)]));
}

/** Transactions text with trouble every few hundred records: what a worker and this thread must report alike. */
function hostileTransactions(): string {
  const base = housef3Data().transactions[0] as Record<string, unknown>;
  const parts: string[] = [];
  for (let i = 0; i < N; i++) {
    const id = `e0000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const t: Record<string, unknown> = { ...base, transactionId: id, accountId: i % 2 ? ACC1 : ACC2, transactionHash: `@@${BigInt(i) * 1000003n + 18446744000000000000n}@@` };
    let text: string;
    switch (i % 397) {
      case 1: t.amount = 'x'; break; // schema
      case 2: t.amount = '1e400'; break; // money out of range (a rule of its own values)
      case 3: t.transactionId = `e0000000-0000-4000-8000-${String(i - 3).padStart(12, '0')}`; break; // repeated id
      case 4: t.accountId = 'a0000000-0000-4000-8000-0000000000ff'; break; // unknown account
      case 5: t.categories = [{ categoryId: 'c0000000-0000-4000-8000-0000000000ff' }, { categoryId: CAT1 }]; break;
      case 6: t[`extra${i % 3}`] = 'kept'; break; // unknown field, warned once per name
      case 7: t.fileId = 'd0000000-0000-4000-8000-0000000000ff'; break;
      case 8: t.transactionHash = '@@18446744073709551616@@'; break; // past 2^64
      case 13: Object.assign(t, bigFields()); break; // too large as an item
      case 14: Object.assign(t, bigFields(), { transactionId: `e0000000-0000-4000-8000-${String(i - 14).padStart(12, '0')}` }); break; // and a repeated id
      case 15: Object.assign(t, bigFields(), { amount: '1e400' }); break; // and money out of range
    }
    text = pythonJson(t);
    if (i % 397 === 9) text = text.replace('{', '{"amount": "1", '); // a key twice
    if (i % 397 === 10) text = text.replace('{', '{"remark": "\\ud800", '); // not Unicode text
    if (i % 397 === 11) text = '{"a": }';
    if (i % 397 === 12) text = '42';
    parts.push(text);
  }
  return `[${parts.join(',\n')}]`;
}

function hostilePackage(): Buffer {
  const entries = housef3Entries({ manifest: housef3Manifest({ transactionsCount: N }) });
  const i = entries.findIndex((e) => e.name === 'data/transactions.json.gz');
  entries[i] = { name: 'data/transactions.json.gz', data: zlib.gzipSync(hostileTransactions()) };
  return buildZip(entries);
}

/** A consumer like staging: busy now and then (it returns a promise every 97th record). */
async function run(buf: Buffer, checkThread: 'never' | 'always'): Promise<{ report: ValidationReport; handed: string[] }> {
  const handed: string[] = [];
  const report = await validatePackage(new BufferRangeSource(buf, 'hostile.fzip'), {
    checkThread,
    limits: { maxReportedIssues: 100_000 },
    onRecord: (kind, r, index) => {
      handed.push(`${kind} ${index} ${JSON.stringify(r)}`);
      return handed.length % 97 === 0 ? new Promise<void>((resolve) => setImmediate(resolve)) : undefined;
    },
  });
  return { report, handed };
}

describe('transactions inspected in a worker thread', () => {
  it('give the same report and hand on the same records as this thread alone, over many batches', async () => {
    const buf = hostilePackage();
    const alone = await run(buf, 'never');
    const answered = CheckThread.workerVerdicts;
    const threaded = await run(buf, 'always');
    expect(CheckThread.workerVerdicts - answered).toBeGreaterThan(5); // many batches went to the worker
    expect(JSON.stringify(threaded.report)).toBe(JSON.stringify(alone.report));
    expect(threaded.handed).toEqual(alone.handed);
    // the trouble was found (each kind of it), and the rest handed on
    const codes = new Set(alone.report.errors.map((e) => e.code));
    expect([...codes].sort()).toEqual(['DUPLICATE_ID', 'DUPLICATE_KEY', 'INVALID_ENCODING', 'INVALID_JSON', 'INVALID_RECORD', 'INVALID_VALUE', 'ITEM_TOO_LARGE', 'SCHEMA_VIOLATION', 'UNKNOWN_REFERENCE']);
    // one pass's order: a too-large record that repeats an id is a repeated id (no size error); one with bad money, bad money
    const at = (index: number) => alone.report.errors.filter((e) => e.index === index).map((e) => e.code);
    expect(at(13)).toEqual(['ITEM_TOO_LARGE']);
    expect(at(14)).toEqual(['DUPLICATE_ID']);
    expect(at(15)).toEqual(['INVALID_VALUE']);
    // an unknown field is said once, at the first record that has it
    const unknown = alone.report.warnings.filter((w) => w.code === 'UNKNOWN_FIELD').map((w) => `${w.field}@${w.index}`);
    expect(unknown).toEqual(['/extra0@6', ...Array.from({ length: 50 }, (_, k) => `/big${k}@13`), '/extra1@403', '/extra2@800']);
    expect(alone.report.counts.transactions).toBe(N);
    expect(alone.handed.filter((h) => h.startsWith('transactions ')).length).toBeGreaterThan(N * 0.9);
  });

  it('when the worker stops, this thread makes the verdicts it had not given, the same as the worker would', async () => {
    const thread = await CheckThread.get();
    expect(thread).toBeInstanceOf(CheckThread);
    const limits = resolveLimits({});
    const refs = { accountIds: new Set([ACC1, ACC2]), fileIds: new Set([FILE1]), categoryIds: new Set([CAT1]) };
    const splitter = new JsonElementSplitter({ maxElementChars: limits.maxRecordBytes, maxDepth: limits.maxRecordDepth, objectRoot: false });
    const text = hostileTransactions();
    const batches: JsonElement[][] = [];
    for (let at = 0; at < text.length; at += 64 * 1024) {
      const els = splitter.write(text.slice(at, at + 64 * 1024));
      if (els.length) batches.push(els);
    }
    batches.push(splitter.end());
    const here = new TransactionInspector('data/transactions.json.gz', limits, refs);
    const expected = batches.map((b) => JSON.stringify(here.inspect(b)));
    async function* source() {
      yield* batches;
    }
    const spec = { file: 'data/transactions.json.gz', limits, references: { accountIds: [ACC1, ACC2], fileIds: [FILE1], categoryIds: [CAT1] } };
    const got: string[] = [];
    let stopped = false;
    const worker = (thread as unknown as { worker: { terminate(): Promise<number> } }).worker;
    for await (const { verdict } of (thread as CheckThread).verdicts(spec, source(), (b) => here.inspect(b))) {
      got.push(JSON.stringify(verdict as BatchVerdict));
      if (!stopped) {
        stopped = true;
        await worker.terminate(); // the batches it holds are not answered
      }
    }
    expect(got).toEqual(expected);
    // a new worker starts for the next validation
    const next = await CheckThread.get();
    expect(next).toBeInstanceOf(CheckThread);
    expect(next).not.toBe(thread);
  });

  it('say a read failure after many batches went to the worker where one thread would, and the worker goes on', async () => {
    const entries = housef3Entries({ manifest: housef3Manifest({ transactionsCount: N }) });
    const i = entries.findIndex((e) => e.name === 'data/transactions.json.gz');
    entries[i] = { name: 'data/transactions.json.gz', data: zlib.gzipSync(hostileTransactions()), crc32: 12345 }; // found at the entry's end
    const buf = buildZip(entries);
    const alone = await run(buf, 'never');
    const threaded = await run(buf, 'always');
    expect(alone.report.errors.map((e) => e.code)).toContain('CRC_MISMATCH');
    expect(JSON.stringify(threaded.report)).toBe(JSON.stringify(alone.report));
    expect(threaded.handed).toEqual(alone.handed);
  });

  it('stop when the consumer fails, the same way on one thread or two, and the worker serves the next validation', async () => {
    const buf = hostilePackage();
    const failing = (checkThread: 'never' | 'always') => {
      let n = 0;
      return validatePackage(new BufferRangeSource(buf, 'hostile.fzip'), {
        checkThread,
        onRecord: () => {
          if (++n === 5000) throw new Error('the consumer gave up at record 5000');
        },
      });
    };
    await expect(failing('never')).rejects.toThrow('the consumer gave up at record 5000');
    await expect(failing('always')).rejects.toThrow('the consumer gave up at record 5000');
    const answered = CheckThread.workerVerdicts;
    const again = await run(buf, 'always');
    expect(CheckThread.workerVerdicts).toBeGreaterThan(answered);
    expect(again.report.counts.transactions).toBe(N);
  });
});

describe('a script that validates with the worker', () => {
  it('does not exit before the validation ends, though it holds nothing else open', () => {
    // a plain Node process: no test runner keeps it alive while the worker loads its code
    const script = `
      const { validatePackage } = require('./functions/fzip/validator');
      const { BufferRangeSource } = require('./functions/fzip/source');
      const { housef3Package } = require('./test/helpers/housef3-package');
      validatePackage(new BufferRangeSource(housef3Package(), 'p.fzip'), { checkThread: 'always' })
        .then((r) => process.stdout.write('valid=' + r.valid + ' transactions=' + r.counts.transactions));`;
    const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], { cwd: join(__dirname, '..', '..', '..'), encoding: 'utf8' });
    expect(out).toBe('valid=true transactions=2');
  });
});
