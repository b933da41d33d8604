/**
 * What a restore means, read back from the user's items and statement files: the same backup
 * twice writes nothing; changed statement bytes are written (and undone); undo chains with
 * force, in any order and after jobs are deleted, end exactly where the user started, and the
 * API's changedSince prediction equals what the undo then did.
 */
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { harnessApi, startWorkflowHarness, WorkflowHarness, workflowFunctions } from '../helpers/workflow-harness';
import { syntheticPackage } from '../../cli/synthetic-package';
import { materialize, packageBuffer } from '../helpers/packages';
import { changedPackage, snapshot as snapshotOf } from '../helpers/user-data';
import { ImportApi } from '../../functions/api/import-api';
import { LocalTokenIssuer } from '../../local/token-issuer';
import { ENTITY_KINDS } from '../../functions/fzip/entities';
import { PlainRecord } from '../../functions/fzip/normalize';

const TX = 300;
let h: WorkflowHarness;
let api: ImportApi;
const issuer = new LocalTokenIssuer();
let base: Buffer;
let pkgA: Buffer;
let pkgB: Buffer;
let pkgC: Buffer;

const newUser = () => `user-${randomUUID()}`;
const snapshot = (user: string) => snapshotOf(h, user);

beforeAll(async () => {
  h = await startWorkflowHarness({ chunkSize: 200 });
  api = harnessApi(h, issuer);
  base = await packageBuffer(syntheticPackage({ transactions: TX, accounts: 2, files: 3, seed: 21 }));
  pkgA = await changedPackage(TX, 21, 'A');
  pkgB = await changedPackage(TX, 21, 'B');
  pkgC = await changedPackage(TX, 21, 'C');
});
afterAll(() => h.stop());

async function call(method: string, path: string, user: string, body?: unknown, query: Record<string, string> = {}) {
  const res = await api.handle({ method, path, headers: { authorization: `Bearer ${issuer.sign(user)}` }, query, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.statusCode, json: res.body ? JSON.parse(res.body) : undefined };
}

async function journalKeys(importId: string): Promise<number> {
  const out = await h.servers.s3.send(new ListObjectsV2Command({ Bucket: h.packagesBucket, Prefix: `journal/${importId}/` }));
  return out.KeyCount ?? 0;
}

/** Undo through the API; returns what the API predicted and the job's rollback results. */
async function undo(user: string, importId: string, force = false) {
  const res = await call('POST', `/import/${importId}/undo`, user, force ? { force: true } : undefined);
  expect(res.status).toBe(202);
  await h.machine.idle();
  const job = (await h.jobs.get(importId))!;
  expect(job).toMatchObject({ status: 'undone', rolledBack: true });
  return { predicted: res.json.changedSince as number, done: job.rollbackResults! };
}

describe('the same backup twice', () => {
  it('under fail_on_conflict: completed, every record unchanged, nothing journaled or written', async () => {
    const user = newUser();
    const first = await h.runImport(user, base);
    expect(first.status).toBe('completed');
    const after = await snapshot(user);
    const again = await h.runImport(user, base);
    expect(again.status).toBe('completed');
    const results = again.importResults as Record<string, { created: number; updated: number; unchanged: number }>;
    for (const kind of ENTITY_KINDS) expect(results[kind]).toMatchObject({ created: 0, updated: 0, skipped: 0 });
    expect(results.transactions.unchanged).toBe(TX);
    expect(results.transactionFiles.unchanged).toBe(3);
    expect(await journalKeys(again.importId)).toBe(0);
    // every item and object still the first import's, byte for byte
    expect(await snapshot(user)).toEqual(after);
  });
});

describe('statement files whose bytes changed (same items)', () => {
  async function sameItemsNewBytes(): Promise<Buffer> {
    const input = syntheticPackage({ transactions: TX, accounts: 2, files: 3, seed: 21 });
    const data = await materialize(input);
    // one byte changed in every file, same names and sizes
    const files = [];
    for (const f of input.files ?? []) {
      const content = Buffer.isBuffer(f.content) ? Buffer.from(f.content) : Buffer.concat(await (f.content as () => Readable)().toArray());
      content[0] = content[0] === 0x41 ? 0x42 : 0x41;
      files.push({ ...f, content });
    }
    return packageBuffer({ ...data, files });
  }

  it('are a conflict: fail_on_conflict refuses, the preview lists the bytes, overwrite writes them and undo brings the old bytes back', async () => {
    const user = newUser();
    await h.runImport(user, base);
    const before = await snapshot(user);
    const changed = await sameItemsNewBytes();

    const strict = await h.runImport(user, changed);
    expect(strict.status).toBe('validation_failed');
    expect((strict.validationResults as { conflictCount: number }).conflictCount).toBe(3);

    const preview = await h.runImport(user, changed, { mergeStrategy: 'overwrite', requireConfirmation: true });
    expect(preview.status).toBe('awaiting_confirmation');
    const listed = await call('GET', `/import/${preview.importId}/conflicts`, user);
    expect(listed.json.total).toBe(3);
    expect(listed.json.conflicts[0].fields).toEqual([
      { field: '(statement file bytes)', current: { size: expect.any(Number), sha256: expect.any(String) }, incoming: { size: expect.any(Number), sha256: expect.any(String) } },
    ]);
    await call('POST', `/import/${preview.importId}/cancel`, user);

    const job = await h.runImport(user, changed, { mergeStrategy: 'overwrite' });
    expect(job.status).toBe('completed');
    expect((job.importResults as Record<string, { updated: number }>).transactionFiles.updated).toBe(3);
    const after = await snapshot(user);
    const keys = Object.keys(before.objects);
    expect(keys).toHaveLength(3);
    for (const k of keys) expect(after.objects[k].bytes).not.toBe(before.objects[k].bytes);

    await undo(user, job.importId);
    expect(await snapshot(user)).toEqual(before);
  });
});

describe('undo chains', () => {
  async function chain(user: string, packages: Buffer[]) {
    const first = await h.runImport(user, base, { mergeStrategy: 'overwrite' });
    expect(first.status).toBe('completed');
    const start = await snapshot(user);
    const ids: string[] = [];
    for (const p of packages) {
      const j = await h.runImport(user, p, { mergeStrategy: 'overwrite' });
      expect(j.status).toBe('completed');
      ids.push(j.importId);
    }
    return { start, ids };
  }

  it('base → A → B, undo A (force), undo B: exactly the base, items and statement files; predictions hold', async () => {
    const user = newUser();
    const { start, ids: [a, b] } = await chain(user, [pkgA, pkgB]);
    const ua = await undo(user, a, true);
    expect(ua.done.changedSince).toBe(ua.predicted);
    expect(ua.predicted).toBeGreaterThan(0);
    const ub = await undo(user, b);
    expect(ub).toMatchObject({ predicted: 0, done: { changedSince: 0 } });
    expect(await snapshot(user)).toEqual(start);
  });

  it('the same with A deleted between the undos: its data does not come back', async () => {
    const user = newUser();
    const { start, ids: [a, b] } = await chain(user, [pkgA, pkgB]);
    await undo(user, a, true);
    expect((await call('DELETE', `/import/${a}`, user)).status).toBe(204);
    expect(await h.jobs.get(a)).toBeUndefined();
    const ub = await undo(user, b);
    expect(ub.done.changedSince).toBe(0);
    expect(await snapshot(user)).toEqual(start);
  });

  it('three imports, undone oldest first with force: exactly the base', async () => {
    const user = newUser();
    const { start, ids: [a, b, c] } = await chain(user, [pkgA, pkgB, pkgC]);
    for (const [id, force] of [[a, true], [b, true], [c, false]] as const) {
      const u = await undo(user, id, force);
      expect(u.done.changedSince).toBe(u.predicted);
    }
    expect(await snapshot(user)).toEqual(start);
  });

  it('three imports, the middle one first, B deleted: exactly the base', async () => {
    const user = newUser();
    const { start, ids: [a, b, c] } = await chain(user, [pkgA, pkgB, pkgC]);
    await undo(user, b, true);
    expect((await call('DELETE', `/import/${b}`, user)).status).toBe(204);
    await undo(user, a, true);
    await undo(user, c);
    expect(await snapshot(user)).toEqual(start);
  });
});

describe('a forced undo leaves records a later import changed', () => {
  it('and keeps what they refer to: no record is left pointing at a deleted one', async () => {
    const user = newUser();
    const input = syntheticPackage({ transactions: TX, accounts: 2, files: 3, seed: 77 });
    const data = await materialize(syntheticPackage({ transactions: TX, accounts: 2, files: 3, seed: 77 }));
    const a = await h.runImport(user, await packageBuffer(input));
    expect(a.status).toBe('completed');
    // a later import changes two transactions (one with a statement file, in a subcategory if any)
    const changedIds = new Set([data.transactions[0].transactionId, data.transactions[1].transactionId]);
    const b = await h.runImport(
      user,
      await packageBuffer({ ...data, transactions: data.transactions.map((t: PlainRecord) => (changedIds.has(t.transactionId) ? { ...t, description: `${String(t.description)} (later)` } : t)) }),
      { mergeStrategy: 'overwrite' },
    );
    expect(b.status).toBe('completed');
    const u = await undo(user, a.importId, true);
    expect(u.done.changedSince).toBeGreaterThanOrEqual(2);
    const after = await snapshot(user);
    const left = after.items.transactions as PlainRecord[];
    expect(new Set(left.map((t) => t.sk))).toEqual(changedIds);
    // every reference of what is left resolves
    const ids = (kind: string) => new Set((after.items[kind] as PlainRecord[]).map((r) => r.sk));
    const [accounts, categories, maps, files] = [ids('accounts'), ids('categories'), ids('fileMaps'), ids('transactionFiles')];
    const dangling: string[] = [];
    const need = (set: Set<unknown>, v: unknown, what: string) => {
      if (typeof v === 'string' && !set.has(v)) dangling.push(`${what} ${v}`);
    };
    for (const t of left) {
      need(accounts, t.accountId, 'account');
      need(files, t.fileId, 'statement file');
      need(categories, t.primaryCategoryId, 'category');
      for (const c of (t.categories as Array<{ categoryId: string }>) ?? []) need(categories, c.categoryId, 'category');
    }
    for (const f of after.items.transactionFiles as PlainRecord[]) {
      need(accounts, f.accountId, 'account');
      need(maps, f.fileMapId, 'file map');
      expect(Object.keys(after.objects).some((k) => k.startsWith(`${user}/${String(f.sk)}/`))).toBe(true);
    }
    for (const m of after.items.fileMaps as PlainRecord[]) need(accounts, m.accountId, 'account');
    for (const acc of after.items.accounts as PlainRecord[]) need(maps, acc.defaultFileMapId, 'file map');
    for (const c of after.items.categories as PlainRecord[]) need(categories, c.parentCategoryId, 'category');
    expect(dangling).toEqual([]);
    // and nothing more than that is kept: fewer accounts/categories than the import wrote, or the same when all are needed
    expect((after.items.accounts as unknown[]).length).toBeGreaterThan(0);
    expect((after.items.categories as unknown[]).length).toBeLessThanOrEqual(data.categories.length);
  });
});

describe('replace: restore to exactly this backup', () => {
  /** A user's data as comparable across users and imports (our own attributes left out). */
  async function content(user: string) {
    const s = await snapshot(user);
    const items = Object.fromEntries(
      Object.entries(s.items).map(([k, list]) => [k, list.map((i) => {
        const { pk: _p, userId: _u, importId: _i, s3Key: _s, ...rest } = i as Record<string, unknown>;
        return rest;
      })]),
    );
    const objects = Object.fromEntries(Object.entries(s.objects).map(([k, o]) => [k.slice(user.length), o.bytes]));
    return { items, objects };
  }

  /** B: A's data with a third of the transactions and one account's file gone, some changed, some new. */
  async function overlapping(): Promise<Buffer> {
    const input = syntheticPackage({ transactions: TX, accounts: 2, files: 3, seed: 21 });
    const data = await materialize(input);
    const keep = data.transactions.filter((_t, i) => i % 3 !== 0).map((t, i) => (i % 5 === 0 ? { ...t, description: `${String(t.description)} (B)` } : t));
    const fresh = data.transactions.slice(0, 20).map((t) => ({ ...t, transactionId: randomUUID() }));
    const droppedFile = data.transactionFiles[0].fileId as string;
    return packageBuffer({
      ...data,
      transactions: [...keep, ...fresh].map((t: PlainRecord) => (t.fileId === droppedFile ? { ...t, fileId: data.transactionFiles[1].fileId } : t)),
      transactionFiles: data.transactionFiles.slice(1),
      files: [...(input.files ?? [])].filter((f) => f.fileId !== droppedFile),
    });
  }

  it('makes the data equal the backup (deleting what it lacks), and undo brings everything back', async () => {
    const b = await overlapping();
    const ref = newUser();
    expect((await h.runImport(ref, b)).status).toBe('completed');
    const expected = await content(ref);

    const user = newUser();
    await h.runImport(user, base);
    const beforeA = await snapshot(user);
    const preview = await h.runImport(user, b, { mergeStrategy: 'replace', requireConfirmation: true });
    const plan = (preview.validationResults as { plan: Record<string, { delete: number }> }).plan;
    expect(plan.transactions.delete).toBe(TX / 3);
    expect(plan.transactionFiles.delete).toBe(1);
    // the records it would delete are listed with the conflicts, as deletions
    const listed = await call('GET', `/import/${preview.importId}/conflicts`, user, undefined, { kind: 'transactionFiles' });
    // named by the user's record (the file name), since the backup has no record of it
    const dropped = (await materialize(syntheticPackage({ transactions: TX, accounts: 2, files: 3, seed: 21 }))).transactionFiles[0];
    expect(listed.json.conflicts).toEqual([{ kind: 'transactionFiles', id: dropped.fileId, action: 'delete', summary: { title: dropped.fileName }, fields: [] }]);
    // confirming it as a plain overwrite deletes nothing; replace cannot be chosen only at confirm
    const other = await h.runImport(user, b, { requireConfirmation: true });
    expect((await call('POST', `/import/${other.importId}/confirm`, user, { mergeStrategy: 'replace' })).status).toBe(400);
    await call('POST', `/import/${other.importId}/cancel`, user);
    await call('POST', `/import/${preview.importId}/cancel`, user);

    const job = await h.runImport(user, b, { mergeStrategy: 'replace' });
    expect(job.status).toBe('completed');
    expect((job.importResults as Record<string, { deleted: number }>).transactions.deleted).toBe(TX / 3);
    expect(await content(user)).toEqual(expected);

    await undo(user, job.importId);
    expect(await snapshot(user)).toEqual(beforeA);
  });

  it('canceled after its deletions began: everything put back, the data as before', async () => {
    const user = newUser();
    await h.runImport(user, base);
    const before = await snapshot(user);
    const fns = workflowFunctions(() => h.deps);
    let deletionChunks = 0;
    let canceled = false;
    // the Map's items: the staged chunks (2 of 200 records), then the deletion chunk(s)
    h.faults.ImportTransactionsFunctionArn = async (p: { importId: string; chunk: number }) => {
      const out = await fns.ImportTransactionsFunctionArn(p);
      if (p.chunk >= 2) deletionChunks++;
      if (p.chunk >= 2 && !canceled) {
        canceled = true;
        expect((await call('POST', `/import/${p.importId}/cancel`, user)).status).toBe(202);
      }
      return out;
    };
    try {
      const job = await h.runImport(user, await overlapping(), { mergeStrategy: 'replace' });
      expect(deletionChunks).toBeGreaterThan(0);
      expect(job).toMatchObject({ status: 'canceled', rolledBack: true });
    } finally {
      h.resetFaults();
    }
    expect(await snapshot(user)).toEqual(before);
  });

  it('a "skip" decision on a listed deletion keeps that record', async () => {
    const user = newUser();
    await h.runImport(user, base);
    const preview = await h.runImport(user, await overlapping(), { mergeStrategy: 'replace', requireConfirmation: true });
    const listed = await call('GET', `/import/${preview.importId}/conflicts`, user, undefined, { kind: 'transactionFiles' });
    const keep = listed.json.conflicts[0].id as string;
    const confirmed = await call('POST', `/import/${preview.importId}/confirm`, user, { decisions: [{ kind: 'transactionFiles', id: keep, action: 'skip' }] });
    expect(confirmed.status).toBe(202);
    await h.machine.idle();
    const job = (await h.jobs.get(preview.importId))!;
    expect(job.status).toBe('completed');
    expect((job.importResults as Record<string, { deleted?: number; skipped: number }>).transactionFiles).toMatchObject({ skipped: 1 });
    expect((await h.items('transactionFiles', user)).map((f) => f.sk)).toContain(keep);
    expect((await h.items('transactions', user)).length).toBe(TX - TX / 3 + 20);
  });

  it('base → replace A (deletes) → B re-creates what A deleted → undo A → undo B: exactly the base', async () => {
    const user = newUser();
    await h.runImport(user, base);
    const start = await snapshot(user);
    const a = await h.runImport(user, await overlapping(), { mergeStrategy: 'replace' });
    expect((a.importResults as Record<string, { deleted: number }>).transactions.deleted).toBe(TX / 3);
    const b = await h.runImport(user, base, { mergeStrategy: 'overwrite' });
    expect((b.importResults as Record<string, { created: number }>).transactions.created).toBe(TX / 3);
    await undo(user, a.importId, true);
    await undo(user, b.importId, true);
    expect(await snapshot(user)).toEqual(start);
  });

  it('selective: deletes nothing outside the selection', async () => {
    const user = newUser();
    await h.runImport(user, base);
    const data = await materialize(syntheticPackage({ transactions: TX, accounts: 2, files: 3, seed: 21 }));
    const [inside, outside] = data.accounts.map((a) => a.accountId as string);
    const before = await h.items('transactions', user);
    const others = await Promise.all((['accounts', 'categories', 'fileMaps', 'transactionFiles'] as const).map((k) => h.items(k, user)));
    // a package holding only the first half of the transactions
    const half = await packageBuffer({ ...data, transactions: data.transactions.slice(0, TX / 2) });
    const job = await h.runImport(user, half, { mergeStrategy: 'replace', filter: { accountIds: [inside] } });
    expect(job.status).toBe('completed');
    const after = await h.items('transactions', user);
    const gone = before.filter((t) => !after.some((a) => a.sk === t.sk));
    expect(gone.length).toBeGreaterThan(0);
    expect(gone.every((t) => t.accountId === inside)).toBe(true);
    expect(after.filter((t) => t.accountId === outside)).toHaveLength(before.filter((t) => t.accountId === outside).length);
    // no reference record deleted: they may serve transactions outside the selection
    expect(await Promise.all((['accounts', 'categories', 'fileMaps', 'transactionFiles'] as const).map((k) => h.items(k, user)))).toEqual(others);
  });
});
