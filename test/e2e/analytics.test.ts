/**
 * Analytics through the local stack as a user gets them: after an import, an overwrite of
 * changed amounts, an undo, a canceled import and a replace that deletes, GET /analytics equals a brute-force
 * aggregation over the user's full export (computed here independently, in integer
 * micro-units), to the cent, per currency. The import-end events reach the analytics Lambda
 * through the local EventBridge, as in AWS.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { LocalStack, startLocalStack } from '../../local/stack';
import { main, Io } from '../../cli/fzip';
import { FileRangeSource } from '../../functions/fzip/source';
import { validatePackage } from '../../functions/fzip/validator';
import { PlainRecord } from '../../functions/fzip/normalize';
import { writePackageFile } from '../../functions/fzip/writer';
import { syntheticPackage } from '../../cli/synthetic-package';
import { openPackage } from '../../functions/fzip/package-reader';
import { resolveLimits } from '../../functions/fzip/limits';

let stack: LocalStack;
const dir = mkdtempSync(join(tmpdir(), 'fzip-analytics-'));
const quiet: Io = { out: () => undefined, err: () => undefined };
const as = (user: string) => ['--api', stack.apiUrl, '--token', stack.issuer.sign(user)];

beforeAll(async () => {
  stack = await startLocalStack({ apiPort: 0, cleanupIntervalSeconds: 0 });
});
afterAll(() => stack.stop());

const SCALE = 10n ** 12n;
/** A decimal text in 10^-12 units (the packages here have at most 12 decimals). */
function micro(text: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new Error(`not a plain decimal: ${text}`);
  const v = BigInt(m[2]) * SCALE + BigInt((m[3] ?? '').padEnd(12, '0').slice(0, 12) || '0');
  return m[1] ? -v : v;
}

type Sums = Record<string, { inflow: bigint; outflow: bigint; count: number }>;

/** Brute force over the export: month#currency -> account -> sums, and month#currency -> category -> total. */
async function bruteForce(user: string) {
  const file = join(dir, `${randomUUID()}.fzip`);
  expect(await main(['export', '-o', file, '--interval', '200', ...as(user)], quiet)).toBe(0);
  const records: Record<string, PlainRecord[]> = {};
  await validatePackage(await FileRangeSource.open(file), { onRecord: (kind, r) => void (records[kind] ??= []).push(r) });
  const currencyOf = new Map((records.accounts ?? []).map((a) => [a.accountId, a.currency]));
  const accounts: Record<string, Sums> = {};
  const categories: Record<string, Record<string, { total: bigint; count: number }>> = {};
  for (const t of records.transactions ?? []) {
    const key = `${new Date(t.date as number).toISOString().slice(0, 7)}#${(t.currency as string) ?? currencyOf.get(t.accountId) ?? 'XXX'}`;
    const a = ((accounts[key] ??= {})[t.accountId as string] ??= { inflow: 0n, outflow: 0n, count: 0 });
    const v = micro(String(t.amount));
    if (v >= 0n) a.inflow += v;
    else a.outflow -= v;
    a.count++;
    const c = ((categories[key] ??= {})[(t.primaryCategoryId as string) ?? 'uncategorized'] ??= { total: 0n, count: 0 });
    c.total += v;
    c.count++;
  }
  return { accounts, categories, transactions: (records.transactions ?? []).length };
}

type Month = {
  month: string;
  currency: string;
  accounts: Record<string, { inflow: string; outflow: string; net: string; count: number }>;
  categories: Record<string, { total: string; count: number }>;
};

async function analytics(user: string): Promise<{ state: string; months: Month[] }> {
  const res = await fetch(`${stack.apiUrl}/analytics`, { headers: { authorization: `Bearer ${stack.issuer.sign(user)}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { state: string; months: Month[] };
}

/** The API's figures in the brute force's terms. */
function asSums(months: Month[]) {
  const accounts: Record<string, Sums> = {};
  const categories: Record<string, Record<string, { total: bigint; count: number }>> = {};
  for (const m of months) {
    const key = `${m.month}#${m.currency}`;
    for (const [id, a] of Object.entries(m.accounts)) {
      expect(micro(a.net)).toBe(micro(a.inflow) - micro(a.outflow));
      (accounts[key] ??= {})[id] = { inflow: micro(a.inflow), outflow: micro(a.outflow), count: a.count };
    }
    for (const [id, c] of Object.entries(m.categories)) (categories[key] ??= {})[id] = { total: micro(c.total), count: c.count };
  }
  return { accounts, categories };
}

/** The analytics, once current, equal the brute force over the data (polled: the rebuild runs after the import's end). */
async function expectAnalyticsMatch(user: string): Promise<number> {
  const expected = await bruteForce(user);
  let last: ReturnType<typeof asSums> | undefined;
  for (let i = 0; i < 240; i++) {
    const got = await analytics(user);
    last = asSums(got.months);
    // canonical text: bigints as strings, object keys sorted (the two sides build them in different orders)
    const text = (v: unknown): string =>
      JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));
    if (got.state === 'current' && text(last) === text({ accounts: expected.accounts, categories: expected.categories })) return expected.transactions;
    await new Promise((r) => setTimeout(r, 500));
  }
  expect(last).toEqual({ accounts: expected.accounts, categories: expected.categories });
  return expected.transactions;
}

describe('analytics', () => {
  it('equal a brute-force aggregation after an import, an overwrite of changed amounts, an undo, a canceled import and a replace', async () => {
    const user = `an-${randomUUID()}`;
    const input = syntheticPackage({ transactions: 3000, accounts: 2, files: 3, seed: 44 });
    const txs: PlainRecord[] = [];
    for await (const t of input.transactions as AsyncIterable<PlainRecord>) txs.push(t);
    // some in another currency: never summed with the others
    const base = txs.map((t, i) => (i % 7 === 0 ? { ...t, currency: 'EUR' } : t));
    const pkg = join(dir, 'base.fzip');
    await writePackageFile({ ...input, transactions: base }, pkg);
    expect(await main(['import', pkg, '--strategy', 'overwrite', '--interval', '200', ...as(user)], quiet)).toBe(0);
    expect(await expectAnalyticsMatch(user)).toBe(3000);

    // a backup with the analytics: the package carries the figures the API gives ...
    const withFigures = join(dir, 'with-analytics.fzip');
    expect(await main(['export', '-o', withFigures, '--analytics', '--interval', '200', ...as(user)], quiet)).toBe(0);
    const inPackage: PlainRecord[] = [];
    const report = await validatePackage(await FileRangeSource.open(withFigures));
    expect(report).toMatchObject({ valid: true, derived: { analytics: expect.any(Number) }, manifest: expect.anything() });
    const reader = await openPackage(await FileRangeSource.open(withFigures), 'fzip', resolveLimits(), () => undefined);
    for await (const batch of reader.derivedRecords('analytics')) for (const el of batch) inPackage.push(JSON.parse(el.text));
    expect(JSON.parse(JSON.stringify(await reader.readManifest()))).toMatchObject({ includeAnalytics: true, dataSummary: { analyticsIncluded: true } });
    reader.close();
    const api = await analytics(user);
    for (const m of api.months) {
      for (const [accountId, a] of Object.entries(m.accounts)) {
        expect(inPackage).toContainEqual(expect.objectContaining({ analyticType: 'cash_flow', timePeriod: m.month, accountId, data: { currency: m.currency, ...a } }));
      }
      expect(inPackage).toContainEqual(expect.objectContaining({ analyticType: 'category_trends', timePeriod: m.month, data: { currency: m.currency, categories: m.categories } }));
    }
    expect(inPackage).toHaveLength(api.months.reduce((n, m) => n + Object.keys(m.accounts).length + 1, 0));
    // ... and a restore into another user recomputes its own, never trusting the package's
    const other = `an-${randomUUID()}`;
    expect(await main(['import', withFigures, '--interval', '200', ...as(other)], quiet)).toBe(0);
    expect(await expectAnalyticsMatch(other)).toBe(3000);
    // a selection with analytics is refused, naming the field
    const errors: string[] = [];
    expect(await main(['export', '-o', join(dir, 'x.fzip'), '--analytics', '--from', '2024-01-01', ...as(user)], { out: () => undefined, err: (e) => errors.push(e) })).not.toBe(0);
    expect(errors.join('\n')).toMatch(/includeAnalytics/);

    // an overwrite of changed amounts
    const changed = join(dir, 'changed.fzip');
    await writePackageFile({ ...input, transactions: base.map((t, i) => (i % 10 === 0 ? { ...t, amount: `${i}.37` } : t)) }, changed);
    const out: string[] = [];
    expect(await main(['import', changed, '--strategy', 'overwrite', '--json', '--interval', '200', ...as(user)], { out: (s) => out.push(s), err: () => undefined })).toBe(0);
    const overwriteId = (JSON.parse(out.join('\n')) as { importId: string }).importId;
    await expectAnalyticsMatch(user);

    // undo of the overwrite: the amounts are back
    expect(await main(['undo', overwriteId, '--wait', ...as(user)], quiet)).toBe(0);
    await expectAnalyticsMatch(user);

    // a canceled import of new transactions: whatever it wrote was put back
    const more = syntheticPackage({ transactions: 20000, accounts: 2, files: 3, seed: 45 });
    const bigPkg = join(dir, 'more.fzip');
    await writePackageFile(more, bigPkg);
    const started: string[] = [];
    const running = main(['import', bigPkg, '--strategy', 'overwrite', '--json', '--interval', '200', ...as(user)], { out: (s) => started.push(s), err: () => undefined });
    let importId: string | undefined;
    for (let i = 0; i < 600 && !importId; i++) {
      const list = await fetch(`${stack.apiUrl}/import?limit=1`, { headers: { authorization: `Bearer ${stack.issuer.sign(user)}` } });
      const job = ((await list.json()) as { importJobs: Array<{ importId: string; status: string }> }).importJobs[0];
      if (job && job.importId !== overwriteId && ['processing', 'validating'].includes(job.status)) importId = job.importId;
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(await main(['cancel', importId as string, '--wait', ...as(user)], quiet)).toBe(0);
    await running;
    expect(await expectAnalyticsMatch(user)).toBe(3000);

    // a replace by a backup lacking 50 transactions (spread over the months): they are deleted
    const fewer = join(dir, 'fewer.fzip');
    await writePackageFile({ ...input, transactions: base.filter((_, i) => i % 60 !== 1) }, fewer);
    expect(await main(['import', fewer, '--strategy', 'replace', '--interval', '200', ...as(user)], quiet)).toBe(0);
    expect(await expectAnalyticsMatch(user)).toBe(2950);
  }, 600_000);
});
