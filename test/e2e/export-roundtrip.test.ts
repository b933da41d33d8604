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

  it('a selective export holds exactly the selected transactions and what they need; it round-trips, and a replace of it replaces only inside', async () => {
    const pkg = join(dir, 's20k.fzip');
    await writePackageFile(syntheticPackage({ transactions: 20_000, accounts: 3, files: 6, seed: 33 }), pkg);
    const owner = `sel-${randomUUID()}`;
    expect(await main(['import', pkg, '--strategy', 'overwrite', '--interval', '300', ...as(owner)], capture())).toBe(0);
    const fullFile = join(dir, 's20k-full.fzip');
    expect(await main(['export', '-o', fullFile, '--interval', '300', ...as(owner)], capture())).toBe(0);
    const full = await contents(fullFile);
    const [acc1, acc2] = full.records.accounts.map((a) => a.accountId as string);
    // two accounts of three, one year
    const selFile = join(dir, 's20k-sel.fzip');
    const out = capture();
    expect(await main(['export', '-o', selFile, '--account', acc1, '--account', acc2, '--from', '2022-01-01', '--to', '2022-12-31', '--json', '--interval', '300', ...as(owner)], out)).toBe(0);
    const view = JSON.parse(out.text()) as { backupType: string; selection: unknown };
    expect(view).toMatchObject({ backupType: 'selective', selection: { accountIds: [acc1, acc2], dateRangeStart: '2022-01-01', dateRangeEnd: '2022-12-31' } });
    const sel = await contents(selFile);
    expect(sel.report.valid).toBe(true);
    // the transactions: exactly a direct filter of the full export
    const from = Date.UTC(2022, 0, 1);
    const to = Date.UTC(2023, 0, 1) - 1;
    const expected = full.records.transactions.filter((t) => [acc1, acc2].includes(t.accountId as string) && (t.date as number) >= from && (t.date as number) <= to);
    expect(expected.length).toBeGreaterThan(3000);
    expect(sel.records.transactions).toEqual(expected);
    // what they need, and nothing else: their statement files (with bytes) and categories with ancestors
    const files = new Set(expected.map((t) => t.fileId).filter(Boolean));
    expect(new Set(sel.records.transactionFiles.map((f) => f.fileId))).toEqual(files);
    expect(Object.keys(sel.files).sort()).toEqual(Object.keys(full.files).filter((k) => files.has(k.split('/')[1])).sort());
    for (const k of Object.keys(sel.files)) expect(sel.files[k]).toBe(full.files[k]);
    const parent = new Map(full.records.categories.map((c) => [c.categoryId, c.parentCategoryId]));
    const cats = new Set<unknown>();
    const withAncestors = (start: unknown) => {
      for (let c = start; c && !cats.has(c); c = parent.get(c as string)) cats.add(c);
    };
    for (const t of expected) {
      withAncestors(t.primaryCategoryId);
      for (const a of (t.categories as Array<{ categoryId: string }>) ?? []) withAncestors(a.categoryId);
    }
    expect(new Set(sel.records.categories.map((c) => c.categoryId))).toEqual(cats);
    expect(sel.records.accounts.every((a) => full.records.accounts.some((f) => f.accountId === a.accountId))).toBe(true);
    for (const kind of ['accounts', 'categories', 'fileMaps', 'transactionFiles']) expect(sel.records[kind].length).toBeLessThanOrEqual(full.records[kind].length);
    expect(sel.records.accounts.length).toBeLessThan(full.records.accounts.length);
    // imported into a new user and exported again: the same records
    const other = `sel-b-${randomUUID()}`;
    expect(await main(['import', selFile, '--interval', '300', ...as(other)], capture())).toBe(0);
    const againFile = join(dir, 's20k-again.fzip');
    expect(await main(['export', '-o', againFile, '--interval', '300', ...as(other)], capture())).toBe(0);
    const again = await contents(againFile);
    expect(again.records).toEqual(sel.records);
    expect(again.files).toEqual(sel.files);
    // a replace of the selective package lacking 10 of its transactions deletes those 10 and nothing outside
    const dropped = new Set(sel.records.transactions.slice(0, 10).map((t) => t.transactionId));
    const lacking = join(dir, 's20k-lacking.fzip');
    const manifest = JSON.parse(JSON.stringify({ backupType: 'selective', selection: view.selection }));
    await writePackageFile(
      {
        manifest,
        accounts: sel.records.accounts,
        categories: sel.records.categories,
        fileMaps: sel.records.fileMaps,
        transactionFiles: sel.records.transactionFiles,
        transactions: sel.records.transactions.filter((t) => !dropped.has(t.transactionId)),
        files: Object.entries(sel.files).map(([entry, b64]) => {
          const [, fileId, ...name] = entry.split('/');
          return { fileId, fileName: name.join('/'), content: Buffer.from(b64, 'base64') };
        }),
      },
      lacking,
    );
    const replaced = capture();
    expect(await main(['import', lacking, '--strategy', 'replace', '--json', '--interval', '300', ...as(owner)], replaced)).toBe(0);
    const after = join(dir, 's20k-after.fzip');
    expect(await main(['export', '-o', after, '--interval', '300', ...as(owner)], capture())).toBe(0);
    const now = await contents(after);
    expect(now.records.transactions).toEqual(full.records.transactions.filter((t) => !dropped.has(t.transactionId)));
    for (const kind of ['accounts', 'categories', 'fileMaps', 'transactionFiles']) expect(now.records[kind]).toEqual(full.records[kind]);
    expect(now.files).toEqual(full.files);
  }, 600_000);

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
