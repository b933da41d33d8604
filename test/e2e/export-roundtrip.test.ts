/**
 * Export and the lossless round trip, through the local stack as a user runs it (the fzip CLI
 * over HTTP): import P as user A -> export A (validated) -> import that export as user B ->
 * export B: both exports hold the same records (every field, compared after sorting by id) and
 * the same statement bytes; and they hold what P held.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import yauzl from 'yauzl';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { LocalStack, startLocalStack } from '../../local/stack';
import { main, Io } from '../../cli/fzip';
import { housef3Package, STATEMENT, FILE1 } from '../helpers/housef3-package';
import { FileRangeSource } from '../../functions/fzip/source';
import { validatePackage } from '../../functions/fzip/validator';
import { openPackage } from '../../functions/fzip/package-reader';
import { resolveLimits } from '../../functions/fzip/limits';
import { PlainRecord } from '../../functions/fzip/normalize';
import { ENTITIES, EntityKind } from '../../functions/fzip/entities';
import { writePackageFile } from '../../functions/fzip/writer';
import { syntheticPackage } from '../../cli/synthetic-package';

const HOUSEF3 = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'housef3-restore-requirements.json'), 'utf8')) as {
  required: Record<string, string[]>;
  ruleRequired: string[];
};

let stack: LocalStack;
const dir = mkdtempSync(join(tmpdir(), 'fzip-export-'));

function capture(): Io & { text: () => string } {
  const lines: string[] = [];
  return { out: (s) => lines.push(s), err: (s) => lines.push(s), text: () => lines.join('\n') };
}

const as = (user: string) => ['--api', stack.apiUrl, '--token', stack.issuer.sign(user)];

/** Every record of a package (normalized: as imported) by kind, sorted by id; and the statement files' bytes. */
async function contents(file: string) {
  const records: Record<string, PlainRecord[]> = {};
  const report = await validatePackage(await FileRangeSource.open(file), {
    onRecord: (kind, r) => void (records[kind] ??= []).push(r),
  });
  for (const [kind, list] of Object.entries(records)) {
    const id = ENTITIES[kind as EntityKind].idField;
    list.sort((a, b) => String(a[id]).localeCompare(String(b[id])));
  }
  const reader = await openPackage(await FileRangeSource.open(file), 'fzip', resolveLimits(), () => undefined);
  const files: Record<string, string> = {};
  for (const f of reader.statementFiles()) {
    const chunks: Buffer[] = [];
    for await (const c of await reader.openStatementFile(f.entryName)) chunks.push(c as Buffer);
    files[f.entryName] = Buffer.concat(chunks).toString('base64');
  }
  reader.close();
  return { report, records, files };
}

/** One entry's stored bytes (as compressed data decoded by ZIP, not by our reader). */
async function entryBytes(file: string, name: string): Promise<Buffer> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false });
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName !== name) continue;
      const parts: Buffer[] = [];
      for await (const c of await zip.openReadStreamPromise(entry)) parts.push(c as Buffer);
      return Buffer.concat(parts);
    }
  } finally {
    zip.close();
  }
  throw new Error(`${name} is not in ${file}`);
}

async function roundTrip(pkg: string, label: string) {
  const [a, b] = [`a-${label}-${randomUUID()}`, `b-${label}-${randomUUID()}`];
  const out = capture();
  expect(await main(['import', pkg, '--strategy', 'overwrite', '--interval', '200', ...as(a)], out)).toBe(0);
  const exportA = join(dir, `${label}-a.fzip`);
  const ea = capture();
  expect(await main(['export', '-o', exportA, '--interval', '200', ...as(a)], ea)).toBe(0);
  expect(ea.text()).toContain('a valid package');
  const validated = capture();
  expect(await main(['validate', exportA], validated)).toBe(0);
  expect(await main(['import', exportA, '--interval', '200', ...as(b)], capture())).toBe(0);
  const exportB = join(dir, `${label}-b.fzip`);
  expect(await main(['export', '-o', exportB, '--interval', '200', ...as(b)], capture())).toBe(0);
  return { original: await contents(pkg), first: await contents(exportA), second: await contents(exportB), a, b, exportA };
}

beforeAll(async () => {
  stack = await startLocalStack({ apiPort: 0, cleanupIntervalSeconds: 0 });
});
afterAll(() => stack.stop());

describe('export', () => {
  it('round trip of a housef3-shaped package (gzip data, uint64 hashes, decimal strings, a statement file) is lossless', async () => {
    const pkg = join(dir, 'housef3.fzip');
    writeFileSync(pkg, housef3Package());
    const { original, first, second, exportA } = await roundTrip(pkg, 'housef3');
    expect(first.report.errors).toEqual([]);
    expect(second.report.errors).toEqual([]);
    expect(second.records).toEqual(first.records);
    expect(second.files).toEqual(first.files);
    // and what was exported is what the package held (s3Key is rewritten: where the bytes are in this package)
    const withoutS3Key = (r: Record<string, PlainRecord[]>) => ({ ...r, transactionFiles: r.transactionFiles.map(({ s3Key: _k, ...rest }) => rest) });
    expect(withoutS3Key(first.records)).toEqual(withoutS3Key(original.records));
    // housef3's own restore can read every record: its required fields, and the bytes at files/{s3Key}
    for (const [kind, fields] of Object.entries(HOUSEF3.required)) {
      for (const r of first.records[kind] ?? []) for (const f of fields) expect([kind, f, r[f] !== undefined && r[f] !== null]).toEqual([kind, f, true]);
    }
    const rules = first.records.categories.flatMap((c) => (c.rules as PlainRecord[]) ?? []);
    for (const rule of rules) for (const f of HOUSEF3.ruleRequired) expect([f, rule[f] !== undefined && rule[f] !== null]).toEqual([f, true]);
    for (const f of first.records.transactionFiles) expect(Object.keys(first.files)).toContain(`files/${f.s3Key as string}`);
    expect(first.files).toEqual({ [`files/${FILE1}/statement jan.csv`]: Buffer.from(STATEMENT).toString('base64') });
    // housef3's form: gzip data files, a bare uint64 hash, money as strings, no internal attributes
    const raw = readFileSync(exportA);
    expect(raw.includes(Buffer.from('data/transactions.json.gz'))).toBe(true);
    const tx = first.records.transactions.find((t) => t.transactionHash === '13218515797719547195');
    expect(tx).toMatchObject({ amount: '-12.34', balance: '987.66' });
    // the bytes as written, before any normalization: the hash a bare JSON number, money strings
    const text = gunzipSync(await entryBytes(exportA, 'data/transactions.json.gz')).toString('utf8');
    expect(text).toMatch(/"transactionHash":\s*13218515797719547195[,}\s]/);
    expect(text).toMatch(/"amount":\s*"-12\.34"/);
    expect(text).not.toMatch(/"transactionHash":\s*"/);
    expect(text).not.toMatch(/"(pk|sk|importId)":/);
    for (const kind of Object.keys(first.records)) for (const r of first.records[kind]) for (const k of ['pk', 'sk', 'importId']) expect(r).not.toHaveProperty(k);
    expect(first.report.manifest).toMatchObject({ formatVersion: '1.0', declaredCounts: { transactions: 2, accounts: 2 } });
  });

  it('exports a user with no data as a valid empty package', async () => {
    const file = join(dir, 'empty.fzip');
    expect(await main(['export', '-o', file, '--interval', '100', ...as(`nobody-${randomUUID()}`)], capture())).toBe(0);
    const { report } = await contents(file);
    expect(report.valid).toBe(true);
    expect(report.counts).toMatchObject({ accounts: 0, transactions: 0, statementFiles: 0 });
  });

  it("lists the caller's exports and answers 404 for another user's export on every route", async () => {
    const user = `owner-${randomUUID()}`;
    const file = join(dir, 'owner.fzip');
    const out = capture();
    expect(await main(['export', '-o', file, '--json', '--interval', '100', ...as(user)], out)).toBe(0);
    const exportId = JSON.parse(out.text()).exportId as string;
    const list = capture();
    expect(await main(['exports', '--json', ...as(user)], list)).toBe(0);
    expect(JSON.parse(list.text()).exports.map((e: { exportId: string }) => e.exportId)).toEqual([exportId]);
    const other = stack.issuer.sign('intruder');
    for (const [method, path] of [
      ['GET', `/export/${exportId}/status`],
      ['DELETE', `/export/${exportId}`],
    ]) {
      const res = await fetch(`${stack.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${other}` } });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    }
    const mine = await fetch(`${stack.apiUrl}/export/${exportId}`, { method: 'DELETE', headers: { authorization: `Bearer ${stack.issuer.sign(user)}` } });
    expect(mine.status).toBe(204);
  });

  it('an expired export is cleaned up with its package', async () => {
    const user = `expiring-${randomUUID()}`;
    const out = capture();
    expect(await main(['export', '-o', join(dir, 'expiring.fzip'), '--json', '--interval', '100', ...as(user)], out)).toBe(0);
    const { exportId } = JSON.parse(out.text()) as { exportId: string };
    const { exportStoreFromEnv, packageStoreFromEnv } = await import('../../functions/shared/stores');
    const { cleanupExpiredExports } = await import('../../functions/jobs/cleanup');
    const { Logger } = await import('../../functions/shared/logger');
    const exports = exportStoreFromEnv();
    const job = (await exports.get(exportId))!;
    const packageThere = async () => (await packageStoreFromEnv().packageHead(job.packageKey)) !== undefined;
    expect(await packageThere()).toBe(true);
    const result = await cleanupExpiredExports({ exports, packages: packageStoreFromEnv(), logger: new Logger('t', {}, () => undefined) }, job.expiresAt + 1);
    expect(result.exportsDeleted).toBeGreaterThanOrEqual(1);
    expect(await exports.get(exportId)).toBeUndefined();
    expect(await packageThere()).toBe(false);
    const status = await fetch(`${stack.apiUrl}/export/${exportId}/status`, { headers: { authorization: `Bearer ${stack.issuer.sign(user)}` } });
    expect(status.status).toBe(404);
  });

  it('round trip of a generated 100,000-transaction package', async () => {
    const pkg = join(dir, 't100k.fzip');
    await writePackageFile(syntheticPackage({ transactions: 100_000, accounts: 3, files: 6, seed: 21 }), pkg);
    const { original, first, second } = await roundTrip(pkg, 'big');
    expect(first.report.counts.transactions).toBe(100_000);
    expect(second.records).toEqual(first.records);
    expect(second.files).toEqual(first.files);
    expect(first.records.transactions).toEqual(original.records.transactions);
  }, 600_000);
});
