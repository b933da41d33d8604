/**
 * Preview before writing (field-level conflicts, per-record decisions, confirm), selective
 * import, and the event of every way an import ends — with the real state machine.
 */
import { randomUUID } from 'node:crypto';
import { harnessApi, WorkflowHarness, startWorkflowHarness } from '../helpers/workflow-harness';
import { syntheticPackage } from '../../cli/synthetic-package';
import { PackageInput } from '../../functions/fzip/writer';
import { materialize, packageBuffer } from '../helpers/packages';
import { ENTITY_KINDS } from '../../functions/fzip/entities';
import { PlainRecord } from '../../functions/fzip/normalize';
import { ImportApi } from '../../functions/api/import-api';
import { Logger } from '../../functions/shared/logger';
import { LocalTokenIssuer } from '../../local/token-issuer';
import { startImport } from '../../functions/jobs/import-queue';
import { cleanupExpiredJobs } from '../../functions/jobs/cleanup';
import { ImportJob } from '../../functions/jobs/job';

const TX = 300;
let h: WorkflowHarness;
let api: ImportApi;
const issuer = new LocalTokenIssuer();
let base: Record<string, PlainRecord[]>;
let files: PackageInput['files'];


const pkg = (data: Record<string, PlainRecord[]>) => packageBuffer({ ...data, files } as PackageInput);
const newUser = () => `user-${randomUUID()}`;

async function call(method: string, path: string, user: string, body?: unknown, query: Record<string, string> = {}) {
  const res = await api.handle({ method, path, headers: { authorization: `Bearer ${issuer.sign(user)}` }, query, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.statusCode, json: res.body ? JSON.parse(res.body) : undefined };
}

/** Creates through the API (body as a client sends it), uploads, starts, waits. */
async function apiImport(user: string, body: Buffer, create: Record<string, unknown>): Promise<ImportJob> {
  const created = await call('POST', '/import', user, create);
  expect(created.status).toBe(201);
  const job = (await h.jobs.get(created.json.importId))!;
  await h.upload(job, body);
  await startImport(job.importId, user, h.startDeps);
  await h.machine.idle();
  return (await h.jobs.get(job.importId))!;
}

const eventsOf = (importId: string) => h.events.filter((e) => e.detail.importId === importId).map((e) => e.detailType);

beforeAll(async () => {
  h = await startWorkflowHarness({ chunkSize: 120 });
  api = harnessApi(h, issuer);
  const input = syntheticPackage({ transactions: TX, accounts: 3, files: 3, seed: 31 });
  files = input.files;
  base = await materialize(input);
});
afterAll(() => h.stop());

describe('preview and confirm', () => {
  it('a re-import where 3 transactions differ in amount shows exactly those 3 conflicts, field by field; everything else unchanged', async () => {
    const user = newUser();
    expect((await h.runImport(user, await pkg(base), { mergeStrategy: 'overwrite' })).status).toBe('completed');
    const changed = base.transactions.map((t, i) => (i < 3 ? { ...t, amount: `${t.amount}1` } : i === 3 ? { ...t, amount: `${t.amount}0`.replace(/^(-?\d+)0$/, '$1.0') } : t));
    const job = await apiImport(user, await pkg({ ...base, transactions: changed }), { requireConfirmation: true, mergeStrategy: 'skip_existing' });
    expect(job.status).toBe('awaiting_confirmation');
    expect(h.machine.executions.get(job.importId)!.status).toBe('SUCCEEDED'); // ended in "Awaiting confirmation"
    const plan = (job.validationResults as { plan: Record<string, Record<string, number>> }).plan;
    expect(plan.transactions).toMatchObject({ records: TX, create: 0, unchanged: TX - 3, conflicts: 3 });
    expect(plan.accounts).toMatchObject({ unchanged: 3, conflicts: 0 });
    // nothing was written
    expect((await h.items('transactions', user)).filter((t) => t.importId === job.importId)).toEqual([]);

    const page1 = await call('GET', `/import/${job.importId}/conflicts`, user, undefined, { limit: '2' });
    expect(page1.status).toBe(200);
    expect(page1.json.total).toBe(3);
    expect(page1.json.conflicts).toHaveLength(2);
    const page2 = await call('GET', `/import/${job.importId}/conflicts`, user, undefined, { limit: '2', cursor: page1.json.cursor });
    expect(page2.json.conflicts).toHaveLength(1);
    expect(page2.json.cursor).toBeNull();
    const all = [...page1.json.conflicts, ...page2.json.conflicts];
    expect(all.map((c: { id: string }) => c.id).sort()).toEqual(changed.slice(0, 3).map((t) => t.transactionId).sort());
    for (const c of all) {
      const original = base.transactions.find((t) => t.transactionId === c.id)!;
      const account = base.accounts.find((a) => a.accountId === original.accountId)!;
      // named as the user knows it: their record's date, description, account name, amount and currency
      const summary = {
        title: original.description,
        date: new Date(original.date as number).toISOString().slice(0, 10),
        amount: String(original.amount),
        currency: original.currency,
        account: account.accountName,
      };
      expect(c).toEqual({ kind: 'transactions', id: c.id, summary, fields: [{ field: 'amount', current: original.amount, incoming: `${String(original.amount)}1` }] });
    }
    expect((await call('GET', `/import/${job.importId}/conflicts`, 'someone-else')).status).toBe(404);

    // confirm with decisions: two overwritten, one kept as it is
    const [a, b, c] = changed.slice(0, 3).map((t) => t.transactionId as string);
    const confirmed = await call('POST', `/import/${job.importId}/confirm`, user, {
      decisions: [
        { kind: 'transactions', id: a, action: 'overwrite' },
        { kind: 'transactions', id: b, action: 'overwrite' },
        { kind: 'transactions', id: c, action: 'skip' },
      ],
    });
    expect(confirmed).toMatchObject({ status: 202, json: { status: 'processing' } });
    await h.machine.idle();
    const done = (await h.jobs.get(job.importId))!;
    expect(done.status).toBe('completed');
    expect(done.importResults).toMatchObject({ transactions: { created: 0, updated: 2, skipped: 1, unchanged: TX - 3 }, accounts: { unchanged: 3, updated: 0 } });
    const stored = new Map((await h.items('transactions', user)).map((t) => [t.sk as string, t]));
    expect(stored.get(a)).toMatchObject({ amount: changed[0].amount, importId: job.importId });
    expect(stored.get(b)).toMatchObject({ amount: changed[1].amount, importId: job.importId });
    expect(stored.get(c)!.amount).toBe(base.transactions[2].amount);
    // the 4th: "12.5" vs "12.50" is the same amount: unchanged, never rewritten
    expect(stored.get(changed[3].transactionId as string)!.importId).not.toBe(job.importId);
    expect([...stored.values()].filter((t) => t.importId === job.importId)).toHaveLength(2);
    expect(eventsOf(job.importId)).toEqual(['Import Completed']);
  });

  it('re-importing the same package writes nothing and says so', async () => {
    const user = newUser();
    await h.runImport(user, await pkg(base), { mergeStrategy: 'overwrite' });
    const again = await h.runImport(user, await pkg(base), { mergeStrategy: 'overwrite' });
    expect(again.status).toBe('completed');
    const results = again.importResults as Record<string, Record<string, number>>;
    for (const kind of ENTITY_KINDS) expect(results[kind]).toMatchObject({ created: 0, updated: 0, unchanged: base[kind].length });
    expect((await h.items('transactions', user)).filter((t) => t.importId === again.importId)).toEqual([]);
  });

  it('confirm with fail_on_conflict needs a decision for every conflict (409); cancel ends a preview; expiry too', async () => {
    const user = newUser();
    await h.runImport(user, await pkg(base), { mergeStrategy: 'overwrite' });
    const changed = base.accounts.map((a, i) => (i === 0 ? { ...a, accountName: 'Renamed' } : a));
    const job = await apiImport(user, await pkg({ ...base, accounts: changed }), { requireConfirmation: true });
    expect(job.status).toBe('awaiting_confirmation');
    const refused = await call('POST', `/import/${job.importId}/confirm`, user, {});
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('UNDECIDED_CONFLICTS');
    expect((await call('POST', `/import/${job.importId}/confirm`, user, { decisions: [{ kind: 'nope', id: 'x', action: 'maybe' }] })).status).toBe(400);
    expect(await call('POST', `/import/${job.importId}/cancel`, user)).toMatchObject({ status: 200, json: { status: 'canceled' } });
    expect(eventsOf(job.importId)).toEqual(['Import Canceled']);

    const waiting = await apiImport(user, await pkg({ ...base, accounts: changed }), { requireConfirmation: true });
    expect(waiting.status).toBe('awaiting_confirmation');
    const later = Math.floor(Date.now() / 1000) + 2 * 86400;
    const result = await cleanupExpiredJobs({ ...h.startDeps, logger: new Logger('t', {}, () => undefined), confirmationTtlSeconds: 3600 }, later);
    expect(result.expiredPreviews).toBeGreaterThanOrEqual(1);
    expect((await h.jobs.get(waiting.importId))!.status).toBe('expired');
    expect(eventsOf(waiting.importId)).toEqual(['Import Expired']);
  });
});

describe('import-end events, at least once', () => {
  it('an event the bus refused is sent by the next cleanup; the cancel still answers 200 and frees the lock', async () => {
    const user = newUser();
    await h.runImport(user, await pkg(base), { mergeStrategy: 'overwrite' });
    const renamed = base.accounts.map((a, i) => (i === 0 ? { ...a, accountName: 'Renamed' } : a));
    const job = await apiImport(user, await pkg({ ...base, accounts: renamed }), { requireConfirmation: true });
    expect(job.status).toBe('awaiting_confirmation');
    const bus = h.startDeps.events;
    const publish = bus.publish;
    bus.publish = async () => {
      throw new Error('EventBridge is unavailable');
    };
    try {
      expect(await call('POST', `/import/${job.importId}/cancel`, user)).toMatchObject({ status: 200, json: { status: 'canceled' } });
    } finally {
      bus.publish = publish;
    }
    expect(eventsOf(job.importId)).toEqual([]);
    expect((await h.jobs.users.get(user)).activeImportId).toBeUndefined();
    const cleaned = await cleanupExpiredJobs({ ...h.startDeps, logger: new Logger('t', {}, () => undefined) });
    expect(cleaned.eventsResent).toBeGreaterThanOrEqual(1);
    expect(eventsOf(job.importId)).toEqual(['Import Canceled']);
    await cleanupExpiredJobs({ ...h.startDeps, logger: new Logger('t', {}, () => undefined) });
    expect(eventsOf(job.importId)).toEqual(['Import Canceled']); // once sent, never again
  });
});

describe('confirm: exactly one request decides', () => {
  async function preview(user: string) {
    await h.runImport(user, await pkg(base), { mergeStrategy: 'overwrite' });
    const changed = base.transactions.map((t, i) => (i < 2 ? { ...t, amount: `${t.amount}1` } : t));
    const job = await apiImport(user, await pkg({ ...base, transactions: changed }), { requireConfirmation: true, mergeStrategy: 'skip_existing' });
    expect(job.status).toBe('awaiting_confirmation');
    return { job, ids: changed.slice(0, 2).map((t) => t.transactionId as string), changed };
  }

  it('refuses decisions that are not about this import\'s conflicts, and the same record decided twice (400, nothing starts)', async () => {
    const user = newUser();
    const { job, ids } = await preview(user);
    const unknown = await call('POST', `/import/${job.importId}/confirm`, user, {
      decisions: [
        { kind: 'transactions', id: ids[0], action: 'overwrite' },
        { kind: 'transactions', id: 'no-such-transaction', action: 'overwrite' },
        { kind: 'accounts', id: ids[1], action: 'skip' },
      ],
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error.details).toEqual([
      { field: 'decisions[1].id', message: expect.stringContaining("transactions no-such-transaction is not one of this import's conflicts") },
      { field: 'decisions[2].id', message: expect.stringContaining(`accounts ${ids[1]} is not one of this import's conflicts`) },
    ]);
    const twice = await call('POST', `/import/${job.importId}/confirm`, user, {
      decisions: [
        { kind: 'transactions', id: ids[0], action: 'overwrite' },
        { kind: 'transactions', id: ids[0], action: 'skip' },
      ],
    });
    expect(twice.status).toBe(400);
    expect(twice.json.error.details).toEqual([{ field: 'decisions[1]', message: expect.stringContaining('again') }]);
    // the documented most (50,000 decisions) is read and judged, not refused for its size
    const many = await call('POST', `/import/${job.importId}/confirm`, user, {
      decisions: Array.from({ length: 50000 }, () => ({ kind: 'transactionFiles', id: randomUUID(), action: 'overwrite' })),
    });
    expect([many.status, many.json.error.code]).toEqual([400, 'INVALID_REQUEST']);
    expect((await h.jobs.get(job.importId))!.status).toBe('awaiting_confirmation');
  });

  it('two confirms at once with opposite decisions: one is accepted and runs alone, with its own decisions; the other is refused (409)', async () => {
    const user = newUser();
    const { job, ids, changed } = await preview(user);
    const decide = (action: 'overwrite' | 'skip') => call('POST', `/import/${job.importId}/confirm`, user, { decisions: ids.map((id) => ({ kind: 'transactions', id, action })) });
    const [first, second] = await Promise.all([decide('overwrite'), decide('skip')]);
    expect([first.status, second.status].sort()).toEqual([202, 409]);
    const loser = first.status === 409 ? first : second;
    expect(loser.json.error.code).toBe('NOT_AWAITING_CONFIRMATION');
    await h.machine.idle();
    const confirmRuns = [...h.machine.executions.keys()].filter((name) => name.startsWith(`${job.importId}-confirm-`));
    expect(confirmRuns).toHaveLength(1);
    const done = (await h.jobs.get(job.importId))!;
    expect(done.status).toBe('completed');
    const won = first.status === 202 ? 'overwrite' : 'skip';
    const stored = new Map((await h.items('transactions', user)).map((t) => [t.sk as string, t]));
    for (const [i, id] of ids.entries()) {
      expect(stored.get(id)!.amount).toBe(won === 'overwrite' ? changed[i].amount : base.transactions[i].amount);
    }
    expect(done.importResults).toMatchObject({ transactions: won === 'overwrite' ? { updated: 2, skipped: 0 } : { updated: 0, skipped: 2 } });
  });
});

describe('selective import', () => {
  it('by account: exactly the account\'s transactions, with the account, its files, file maps and categories (with ancestors)', async () => {
    const user = newUser();
    const account = base.accounts[1].accountId as string;
    const job = await apiImport(user, await pkg(base), { mergeStrategy: 'overwrite', filter: { accountIds: [account] } });
    expect(job.status).toBe('completed');
    const expected = base.transactions.filter((t) => t.accountId === account);
    const got = await h.items('transactions', user);
    expect(got.map((t) => t.sk).sort()).toEqual(expected.map((t) => t.transactionId).sort());
    expect((await h.items('accounts', user)).map((a) => a.sk)).toEqual([account]);
    const files = new Set(expected.map((t) => t.fileId).filter(Boolean));
    expect((await h.items('transactionFiles', user)).map((f) => f.sk).sort()).toEqual([...files].sort());
    const cats = new Set<string>();
    const parent = new Map(base.categories.map((c) => [c.categoryId as string, c.parentCategoryId as string | undefined]));
    for (const t of expected) for (let c = t.primaryCategoryId as string | undefined; c; c = parent.get(c)) cats.add(c);
    for (const t of expected) {
      for (const a of (t.categories as Array<{ categoryId: string }>) ?? []) for (let c: string | undefined = a.categoryId; c; c = parent.get(c)) cats.add(c);
    }
    expect((await h.items('categories', user)).map((c) => c.sk).sort()).toEqual([...cats].sort());
    expect(job.importResults).toMatchObject({ transactions: { created: expected.length } });
    expect((job.validationResults as { plan: Record<string, { records: number }> }).plan.transactions.records).toBe(expected.length);
    const ev = h.events.find((e) => e.detail.importId === job.importId)!;
    expect(ev.detail.accountIds).toEqual([account]);
  });

  it('conflicts are only those of the selected records: a renamed account outside the filter neither lists nor fails', async () => {
    const user = newUser();
    await h.runImport(user, await pkg(base), { mergeStrategy: 'overwrite' });
    const [outside, inside] = [base.accounts[0].accountId as string, base.accounts[1].accountId as string];
    const renamed = base.accounts.map((a, i) => (i === 0 ? { ...a, accountName: 'Renamed outside the filter' } : a));
    const changedTx = base.transactions.find((t) => t.accountId === inside)!;
    const transactions = base.transactions.map((t) => (t === changedTx ? { ...t, description: 'changed inside the filter' } : t));
    const preview = await apiImport(user, await pkg({ ...base, accounts: renamed, transactions }), { requireConfirmation: true, filter: { accountIds: [inside] } });
    expect(preview.status).toBe('awaiting_confirmation');
    const listed = await call('GET', `/import/${preview.importId}/conflicts`, user);
    expect(listed.json.total).toBe(1);
    expect(listed.json.conflicts.map((c: { kind: string; id: string }) => [c.kind, c.id])).toEqual([['transactions', changedTx.transactionId]]);
    expect(await call('GET', `/import/${preview.importId}/conflicts`, user, undefined, { kind: 'accounts' })).toMatchObject({ status: 200, json: { total: 0, conflicts: [] } });
    await call('POST', `/import/${preview.importId}/cancel`, user);
    // without preview, fail_on_conflict counts only the selection's records that differ: the
    // renamed account is outside it, the selected account is identical (unchanged, not a conflict)
    const strict = await apiImport(user, await pkg({ ...base, accounts: renamed }), { mergeStrategy: 'fail_on_conflict', filter: { accountIds: [inside], kinds: ['accounts'] } });
    expect(strict.status).toBe('completed');
    expect(strict.importResults).toMatchObject({ accounts: { created: 0, updated: 0, unchanged: 1 } });
    expect((await h.items('accounts', user)).find((a) => a.sk === outside)!.accountName).toBe(base.accounts[0].accountName);
    // the selected account renamed too: it alone is the conflict
    const both = base.accounts.map((a, i) => ({ ...a, accountName: `Renamed ${i}` }));
    const strict2 = await apiImport(user, await pkg({ ...base, accounts: both }), { mergeStrategy: 'fail_on_conflict', filter: { accountIds: [inside], kinds: ['accounts'] } });
    expect(strict2.status).toBe('validation_failed');
    const errors = (strict2.validationResults as { errors: Array<{ code: string; id?: string }> }).errors;
    expect(errors.every((e) => e.id !== outside)).toBe(true);
    expect(errors.map((e) => e.id)).toEqual([inside]);
  });

  it('by date range (inclusive days): exactly the matching transactions; and categories only', async () => {
    const user = newUser();
    const dates = base.transactions.map((t) => t.date as number).sort((a, b) => a - b);
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const from = day(dates[Math.floor(dates.length / 3)]);
    const to = day(dates[Math.floor((2 * dates.length) / 3)]);
    const job = await apiImport(user, await pkg(base), { mergeStrategy: 'overwrite', filter: { dateFrom: from, dateTo: to } });
    const start = Date.parse(`${from}T00:00:00Z`);
    const end = Date.parse(`${to}T23:59:59.999Z`);
    const expected = base.transactions.filter((t) => (t.date as number) >= start && (t.date as number) <= end);
    expect(expected.length).toBeGreaterThan(0);
    expect((await h.items('transactions', user)).map((t) => t.sk).sort()).toEqual(expected.map((t) => t.transactionId).sort());
    const ev = h.events.find((e) => e.detail.importId === job.importId)!;
    expect(ev.detail.dateRange).toEqual({ from: Math.min(...expected.map((t) => t.date as number)), to: Math.max(...expected.map((t) => t.date as number)) });

    const other = newUser();
    const cats = await apiImport(other, await pkg(base), { mergeStrategy: 'overwrite', filter: { kinds: ['categories'] } });
    expect(cats.status).toBe('completed');
    expect(await h.items('categories', other)).toHaveLength(base.categories.length);
    for (const kind of ENTITY_KINDS.filter((k) => k !== 'categories')) expect(await h.items(kind, other)).toEqual([]);
  });

  it('refuses a filter naming an account the package does not hold (validation error) and invalid filters (400)', async () => {
    const user = newUser();
    const job = await apiImport(user, await pkg(base), { filter: { accountIds: ['a9999999-0000-4000-8000-000000000000'] } });
    expect(job.status).toBe('validation_failed');
    expect((job.validationResults as { errors: Array<{ code: string; field: string }> }).errors[0]).toMatchObject({ code: 'FILTER_UNKNOWN_ACCOUNT', field: '/filter/accountIds/0' });
    expect(eventsOf(job.importId)).toEqual(['Import Validation Failed']);
    for (const filter of [{ dateFrom: '2024-13-01' }, { kinds: [] }, { accountIds: ['x'] }, { dateFrom: '2024-02-01', dateTo: '2024-01-01' }, { foo: 1 }, 'all']) {
      const res = await call('POST', '/import', user, { filter });
      expect(res.status).toBe(400);
      expect(res.json.error.details[0].field).toMatch(/^filter/);
    }
  });
});
