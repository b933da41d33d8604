/**
 * Safe imports, with the real state machine: a user who already has data imports a package
 * that changes it; whatever goes wrong (a fault in any phase after it wrote, a cancel, an
 * aborted or timed-out execution), the user's items and statement files end exactly as they
 * were — every item, every attribute, every object's bytes. Undo of a completed import too.
 */
import { randomUUID } from 'node:crypto';
import { PHASES } from '../../functions/workflow/import-phase';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { harnessApi, WorkflowHarness, startWorkflowHarness, workflowFunctions } from '../helpers/workflow-harness';
import { syntheticPackage } from '../../cli/synthetic-package';
import { PackageInput } from '../../functions/fzip/writer';
import { materialize, packageBuffer } from '../helpers/packages';
import { ENTITY_KINDS } from '../../functions/fzip/entities';
import { PlainRecord } from '../../functions/fzip/normalize';
import { changedPackage, snapshot as snapshotOf } from '../helpers/user-data';
import { ImportApi } from '../../functions/api/import-api';
import { LocalTokenIssuer } from '../../local/token-issuer';
import { startImport } from '../../functions/jobs/import-queue';
import { EntityStore } from '../../functions/entities/entity-store';
import { ImportJob } from '../../functions/jobs/job';
import { jobView } from '../../functions/jobs/job-view';

const TX = 700;
let h: WorkflowHarness;
let api: ImportApi;
const issuer = new LocalTokenIssuer();
let p1: Buffer;
let p2: Buffer;


const snapshot = (user: string) => snapshotOf(h, user);
const lambdaError = (name: string, message: string) => Object.assign(new Error(message), { name });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const newUser = () => `user-${randomUUID()}`;
const eventsOf = (importId: string) => h.events.filter((e) => e.detail.importId === importId).map((e) => e.detailType);

beforeAll(async () => {
  h = await startWorkflowHarness({ chunkSize: 200 });
  api = harnessApi(h, issuer);
  p1 = await packageBuffer(syntheticPackage({ transactions: TX, accounts: 2, files: 3, seed: 11 }));
  p2 = await changedPackage(TX, 11);
});
afterAll(() => h.stop());
afterEach(() => h.resetFaults());

async function call(method: string, path: string, user: string, body?: unknown) {
  const res = await api.handle({ method, path, headers: { authorization: `Bearer ${issuer.sign(user)}` }, query: {}, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.statusCode, json: res.body ? JSON.parse(res.body) : undefined };
}

/** A user who already has P1's data (imported, completed). */
async function userWithData(): Promise<{ user: string; first: ImportJob }> {
  const user = newUser();
  const first = await h.runImport(user, p1, { mergeStrategy: 'overwrite' });
  expect(first.status).toBe('completed');
  return { user, first };
}

describe('a fault in any phase after it has written rolls the whole import back', () => {
  const phases: Array<[string, string]> = [
    ['Import accounts', 'ImportAccountsFunctionArn'],
    ['Import categories', 'ImportCategoriesFunctionArn'],
    ['Import file maps', 'ImportFileMapsFunctionArn'],
    ['Import transaction files', 'ImportTransactionFilesFunctionArn'],
    ['Import transactions', 'ImportTransactionsFunctionArn'],
    ['Complete import', 'CompleteFunctionArn'],
  ];

  it.each(phases)('%s: overwrite over existing data, then the job ends failed and rolled back, the data exactly as before', async (phase, sub) => {
    const { user } = await userWithData();
    const before = await snapshot(user);
    const base = workflowFunctions(() => h.deps);
    h.faults[sub] = async (p: { chunk?: number }) => {
      if (sub !== 'CompleteFunctionArn') await base[sub](p); // the phase wrote everything it had to...
      if (sub === 'ImportTransactionsFunctionArn' && p.chunk !== 2) return undefined;
      throw lambdaError('ProvisionedThroughputExceededException', 'Throughput exceeds the current capacity of table arn:aws:dynamodb:eu-west-1:123456789012:table/x');
    };
    const job = await h.runImport(user, p2, { mergeStrategy: 'overwrite' });
    expect(job).toMatchObject({ status: 'failed', rolledBack: true });
    expect(job.errorMessage).toBe(`Import failed in phase "${phase}": the database was too busy; try again later`);
    expect(job.rollbackResults!.changedSince).toBe(0);
    expect(job.rollbackResults!.restored).toBeGreaterThan(0);
    expect(eventsOf(job.importId)).toEqual(['Import Failed']);
    const after = await snapshot(user);
    expect(after.objects).toEqual(before.objects);
    expect(after.items).toEqual(before.items);
    // the console shows the rollback as its own states
    const states = h.machine.executions.get(job.importId)!.events.filter((e) => e.type === 'StateEntered').map((e) => (e.state as { name: string }).name);
    expect(states).toEqual(expect.arrayContaining([`Failed in: ${phase}`, 'Begin rollback', 'Roll back import', 'Finish rollback', 'Import failed']));
  });

  it('a new user: a failure after writing leaves nothing behind', async () => {
    const user = newUser();
    h.faults.CompleteFunctionArn = async () => {
      throw lambdaError('Lambda.Unknown', 'Runtime exited');
    };
    const job = await h.runImport(user, p1, { mergeStrategy: 'fail_on_conflict' });
    expect(job).toMatchObject({ status: 'failed', rolledBack: true, rollbackResults: { restored: 0, changedSince: 0 } });
    expect(job.rollbackResults!.deleted).toBeGreaterThanOrEqual(TX);
    expect(await snapshot(user)).toEqual({ items: Object.fromEntries(ENTITY_KINDS.map((k) => [k, []])), objects: {} });
  });
});

describe('cancel', () => {
  it('in the middle of Import transactions: the execution stops, everything is rolled back, the job ends canceled', async () => {
    const { user } = await userWithData();
    const before = await snapshot(user);
    const base = workflowFunctions(() => h.deps);
    let canceled = false;
    h.faults.ImportTransactionsFunctionArn = async (p: { importId: string; chunk: number }) => {
      if (p.chunk === 1 && !canceled) {
        canceled = true;
        const res = await call('POST', `/import/${p.importId}/cancel`, user);
        expect(res).toMatchObject({ status: 202, json: { status: 'canceling' } });
      }
      return base.ImportTransactionsFunctionArn(p);
    };
    const job = await h.runImport(user, p2, { mergeStrategy: 'overwrite' });
    expect(canceled).toBe(true);
    expect(job).toMatchObject({ status: 'canceled', rolledBack: true, cancelRequested: true });
    expect(await snapshot(user)).toEqual(before);
    expect(eventsOf(job.importId)).toEqual(['Import Canceled']);
    expect(h.machine.executions.get(job.importId)!.status).toBe('SUCCEEDED'); // ended in "Import canceled"
    expect((await call('POST', `/import/${job.importId}/cancel`, user)).status).toBe(409);
  });

  it('before the package arrives: canceled at once, nothing written', async () => {
    const user = newUser();
    const job = await h.createJob(user);
    expect(await call('POST', `/import/${job.importId}/cancel`, user)).toMatchObject({ status: 200, json: { status: 'canceled' } });
  });
});

describe('live progress', () => {
  it('the transactions phase reports after every part, the undo its own progress; never backwards', async () => {
    const user = newUser();
    const seen: Array<[number, string]> = [];
    const report = h.jobs.reportProgress.bind(h.jobs);
    const spy = jest.spyOn(h.jobs, 'reportProgress').mockImplementation(async (id, progress, phase) => {
      seen.push([progress, phase]);
      return report(id, progress, phase);
    });
    // what a person sees after each part: the job view's progress, derived from the records written
    const viewed: number[] = [];
    const addDone = h.jobs.work.addRecordsDone.bind(h.jobs.work);
    const partSpy = jest.spyOn(h.jobs.work, 'addRecordsDone').mockImplementation(async (id, n, total) => {
      const done = await addDone(id, n, total);
      viewed.push(jobView((await h.jobs.get(id))!).progress);
      return done;
    });
    let job: ImportJob;
    try {
      job = await h.runImport(user, p1, { mergeStrategy: 'overwrite' });
      await call('POST', `/import/${job.importId}/undo`, user);
      await h.machine.idle();
    } finally {
      spy.mockRestore();
      partSpy.mockRestore();
    }
    const done = (await h.jobs.get(job.importId))!;
    expect(done).toMatchObject({ status: 'undone', progress: 100, recordsDone: TX, recordsTotal: TX });
    // TX records in chunks of 200, parts of up to 250: one count per part, after the phase's start
    expect(viewed.length).toBeGreaterThanOrEqual(Math.ceil(TX / 200));
    expect(viewed.every((p) => p > PHASES.transactions.progress)).toBe(true);
    expect(Math.max(...viewed)).toBeGreaterThan(90);
    const undo = seen.filter(([, phase]) => phase === 'undoing').map(([p]) => p);
    expect(undo.length).toBeGreaterThan(1);
    expect(undo).toEqual([...undo].sort((a, b) => a - b));
  });
});

describe('undo', () => {
  it('puts back what the user had before a completed import (items and statement files), and the job is undone', async () => {
    const { user } = await userWithData();
    const before = await snapshot(user);
    const job = await h.runImport(user, p2, { mergeStrategy: 'overwrite' });
    expect(job.status).toBe('completed');
    const after = await snapshot(user);
    expect(after).not.toEqual(before);
    // the months whose figures changed: of every transaction written, as it is now and as it was
    const month = (t: unknown) => new Date((t as { date: number }).date).toISOString().slice(0, 7);
    const was = new Map(before.items.transactions.map((t) => [(t as { sk: string }).sk, t]));
    const changedMonths = new Set<string>();
    for (const t of after.items.transactions) {
      const old = was.get((t as { sk: string }).sk);
      if (old && JSON.stringify(old) === JSON.stringify(t)) continue;
      changedMonths.add(month(t));
      if (old) changedMonths.add(month(old));
    }
    const res = await call('POST', `/import/${job.importId}/undo`, user);
    expect(res).toMatchObject({ status: 202, json: { status: 'undoing' } });
    await h.machine.idle();
    const undone = (await h.jobs.get(job.importId))!;
    expect(undone).toMatchObject({ status: 'undone', rolledBack: true, rollbackResults: { changedSince: 0, deleted: 100 } });
    expect(await snapshot(user)).toEqual(before);
    // one event per way it ended: completed, then undone; each with what the import touched
    expect(eventsOf(job.importId)).toEqual(['Import Completed', 'Import Undone']);
    const completed = h.events.find((e) => e.detail.importId === job.importId && e.detailType === 'Import Completed')!;
    expect(completed).toMatchObject({ source: 'fzip-import', detail: { userId: user, status: 'completed', counts: { transactions: { created: 100, updated: TX } } } });
    expect((completed.detail.accountIds as string[]).length).toBe(2);
    expect(completed.detail.dateRange).toEqual({ from: expect.any(Number), to: expect.any(Number) });
    expect(changedMonths.size).toBeGreaterThan(1);
    expect(completed.detail.months).toEqual([...changedMonths].sort());
    expect(h.machine.executions.get(`${job.importId}-undo-2`)!.status).toBe('SUCCEEDED');
  });

  it('a failed import that could not be rolled back is not deleted without force: its journal is the way back', async () => {
    const { user } = await userWithData();
    const job = await h.runImport(user, p2, { mergeStrategy: 'overwrite' });
    await h.jobs.transition(job.importId, 'undoing', { rollbackReason: 'undo', currentPhase: 'undoing' });
    await h.jobs.transition(job.importId, 'failed', { rolledBack: false, errorMessage: 'undo could not finish' });
    const refused = await call('DELETE', `/import/${job.importId}`, user);
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('UNDO_AVAILABLE');
    expect((await h.jobs.get(job.importId))!.status).toBe('failed');
    const res = await api.handle({ method: 'DELETE', path: `/import/${job.importId}`, headers: { authorization: `Bearer ${issuer.sign(user)}` }, query: { force: 'true' } });
    expect(res.statusCode).toBe(204);
    expect(await h.jobs.get(job.importId)).toBeUndefined();
  });

  it('three undo requests at once start one undo: the others answer that it is already undoing', async () => {
    const { user } = await userWithData();
    const before = await snapshot(user);
    const job = await h.runImport(user, p2, { mergeStrategy: 'overwrite' });
    const answers = await Promise.all([1, 2, 3].map(() => call('POST', `/import/${job.importId}/undo`, user)));
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202]);
    expect(answers.filter((a) => a.json.message === 'Already undoing.')).toHaveLength(2);
    await h.machine.idle();
    expect([...h.machine.executions.keys()].filter((name) => name.startsWith(`${job.importId}-undo-`))).toEqual([`${job.importId}-undo-2`]);
    expect((await h.jobs.get(job.importId))!).toMatchObject({ status: 'undone', rolledBack: true });
    expect(await snapshot(user)).toEqual(before);
    expect((await h.jobs.users.get(user)).activeImportId).toBeUndefined();
  });

  it('is refused (409) after a later import changed the same items, and with force leaves those as they are', async () => {
    const { user, first } = await userWithData();
    const later = await h.runImport(user, p2, { mergeStrategy: 'overwrite' });
    expect(later.status).toBe('completed');
    const afterLater = await snapshot(user);
    const refused = await call('POST', `/import/${first.importId}/undo`, user);
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('UNDO_CONFLICT');
    const changed = Number(/^(\d+) item/.exec(refused.json.error.message)![1]);
    expect(changed).toBe(2 + 14 + 2 + 3 + TX + 3); // every item and statement file of the first import was replaced by the later one
    expect(await snapshot(user)).toEqual(afterLater);

    const forced = await call('POST', `/import/${first.importId}/undo`, user, { force: true });
    expect(forced.status).toBe(202);
    await h.machine.idle();
    const undone = (await h.jobs.get(first.importId))!;
    expect(undone).toMatchObject({ status: 'undone', rollbackResults: { changedSince: changed } });
    expect((await snapshot(user)).items).toEqual(afterLater.items);
  });
});

describe('one import per user at a time', () => {
  it('two imports of one user started together: the second waits (queued) and runs after the first, both complete', async () => {
    const user = newUser();
    const a = await h.createJob(user, { mergeStrategy: 'overwrite' });
    const b = await h.createJob(user, { mergeStrategy: 'overwrite' });
    await h.upload(a, p1);
    await h.upload(b, p2);
    const outcomes = await Promise.all([startImport(a.importId, user, h.startDeps), startImport(b.importId, user, h.startDeps)]);
    expect(outcomes.map((o) => o.outcome).sort()).toEqual(['in_line', 'started']);
    await h.machine.idle();
    const [ja, jb] = [(await h.jobs.get(a.importId))!, (await h.jobs.get(b.importId))!];
    expect([ja.status, jb.status]).toEqual(['completed', 'completed']);
    const [ea, eb] = [h.machine.executions.get(a.importId)!, h.machine.executions.get(b.importId)!];
    const [firstE, secondE] = ea.startDate <= eb.startDate ? [ea, eb] : [eb, ea];
    expect(secondE.startDate.getTime()).toBeGreaterThanOrEqual(firstE.stopDate!.getTime());
    expect((await h.jobs.users.get(user)).activeImportId).toBeUndefined();
  });

  it('a validate-only job does not wait for the running import', async () => {
    const user = newUser();
    const a = await h.createJob(user, { mergeStrategy: 'overwrite' });
    const v = await h.createJob(user, { validateOnly: true });
    await h.upload(a, p1);
    await h.upload(v, p1);
    const outcomes = await Promise.all([startImport(a.importId, user, h.startDeps), startImport(v.importId, user, h.startDeps)]);
    expect(outcomes.map((o) => o.outcome)).toEqual(['started', 'started']);
    await h.machine.idle();
  });
});

describe('every execution end reconciles its job', () => {
  /** Slows the transactions writes so an execution can end while a chunk still writes. */
  function slowTransactions(ms: number): Promise<void> {
    let writing!: () => void;
    const started = new Promise<void>((r) => (writing = r));
    const real = h.deps.entities;
    const slow = Object.create(real) as EntityStore;
    slow.putAll = async (...args: Parameters<EntityStore['putAll']>) => {
      if (args[0] === 'transactions') {
        writing();
        await sleep(ms);
      }
      return real.putAll(...args);
    };
    const base = workflowFunctions(() => ({ ...h.deps, entities: slow }));
    h.faults.ImportTransactionsFunctionArn = base.ImportTransactionsFunctionArn;
    return started;
  }

  it('StopExecution in the middle of Import transactions: a rollback execution waits for the running chunk, then rolls back', async () => {
    const { user } = await userWithData();
    const before = await snapshot(user);
    const writing = slowTransactions(400);
    const job = await h.createJob(user, { mergeStrategy: 'overwrite' });
    await h.upload(job, p2);
    await startImport(job.importId, user, h.startDeps);
    await writing; // a chunk holds its write lease and is about to write
    h.machine.stop(job.importId);
    await h.machine.idle();
    const ended = (await h.jobs.get(job.importId))!;
    expect(h.machine.executions.get(job.importId)!.status).toBe('ABORTED');
    expect(ended).toMatchObject({ status: 'failed', rolledBack: true });
    expect(ended.errorMessage).toContain('ABORTED');
    const rollback = h.machine.executions.get(`${job.importId}-rollback-2`)!;
    expect(rollback.status).toBe('FAILED'); // ended in "Import failed", rolled back
    // the chunk still writing when the execution stopped was waited for, then rolled back too
    expect(rollback.events.some((e) => e.type === 'StateEntered' && (e.state as { name: string }).name === 'Wait for writers')).toBe(true);
    expect(await snapshot(user)).toEqual(before);
    expect((await h.jobs.users.get(user)).activeImportId).toBeUndefined();
  });

  it('a timed-out execution: the job ends failed and rolled back, never left processing', async () => {
    const timed = await startWorkflowHarness({ chunkSize: 200, executionTimeoutFor: (name) => (/-rollback-/.test(name) ? undefined : 2) });
    try {
      const user = newUser();
      await timed.runImport(user, p1, { mergeStrategy: 'overwrite' });
      const real = timed.deps.entities;
      const slow = Object.create(real) as EntityStore;
      slow.putAll = async (...args: Parameters<EntityStore['putAll']>) => {
        // longer than the whole execution may run, whatever the Map concurrency
        if (args[0] === 'transactions') await sleep(2500);
        return real.putAll(...args);
      };
      const base = workflowFunctions(() => ({ ...timed.deps, entities: slow }));
      timed.faults.ImportTransactionsFunctionArn = base.ImportTransactionsFunctionArn;
      const job = await timed.runImport(user, p2, { mergeStrategy: 'overwrite' });
      expect(timed.machine.executions.get(job.importId)!.status).toBe('TIMED_OUT');
      expect(job).toMatchObject({ status: 'failed', rolledBack: true });
      expect(job.errorMessage).toContain('TIMED_OUT');
    } finally {
      await timed.stop();
    }
  });
});

describe('what was validated is what is imported', () => {
  it('a package swapped after validation fails the job clearly, rolled back', async () => {
    const { user } = await userWithData();
    const before = await snapshot(user);
    const base = workflowFunctions(() => h.deps);
    h.faults.ImportTransactionFilesFunctionArn = async (p: { packageKey: string }) => {
      // the upload form is still valid: someone posts other bytes under the same key
      await h.servers.s3.send(new (await import('@aws-sdk/client-s3')).PutObjectCommand({ Bucket: h.packagesBucket, Key: p.packageKey, Body: p1 }));
      return base.ImportTransactionFilesFunctionArn(p);
    };
    const job = await h.runImport(user, p2, { mergeStrategy: 'overwrite' });
    expect(job).toMatchObject({ status: 'failed', rolledBack: true });
    expect(job.errorMessage).toMatch(/Import transaction files.*changed after it was validated/);
    expect(await snapshot(user)).toEqual(before);
  });

  it('fail_on_conflict is enforced at write time too: an item created after validation fails the import, rolled back', async () => {
    const user = newUser();
    const data = await materialize(syntheticPackage({ transactions: TX, accounts: 2, files: 3, seed: 11 }));
    const base = workflowFunctions(() => h.deps);
    h.faults.ImportFileMapsFunctionArn = async (p) => {
      // the app creates a file map with the package's id between validation and the write
      await h.deps.entities.putAll('fileMaps', user, 'someone-else', [{ ...data.fileMaps[0], name: 'made in the app' }]);
      return base.ImportFileMapsFunctionArn(p);
    };
    const job = await h.runImport(user, p1, { mergeStrategy: 'fail_on_conflict' });
    expect(job).toMatchObject({ status: 'failed', rolledBack: true });
    expect(job.errorMessage).toContain(`you already have fileMaps ${String(data.fileMaps[0].fileMapId)}`);
    const left = await snapshot(user);
    expect(left.items.accounts).toEqual([]);
    expect(left.items.fileMaps).toHaveLength(1); // the app's item, untouched
  });

  it('skip_existing keeps an item created between the journal read and the write, and counts it skipped, not created', async () => {
    const user = newUser();
    const data = await materialize(syntheticPackage({ transactions: TX, accounts: 2, files: 3, seed: 11 }));
    const real = h.deps.entities;
    const racing = Object.create(real) as EntityStore;
    racing.putAbsent = async (...args: Parameters<EntityStore['putAbsent']>) => {
      const [kind, owner, , records] = args;
      // the app creates the first file map under the package's id just before the conditional put
      if (kind === 'fileMaps' && records.length) await real.putAll('fileMaps', owner, 'the-app', [{ ...records[0], name: 'made in the app' }]);
      return real.putAbsent(...args);
    };
    h.faults.ImportFileMapsFunctionArn = workflowFunctions(() => ({ ...h.deps, entities: racing })).ImportFileMapsFunctionArn;
    const job = await h.runImport(user, p1, { mergeStrategy: 'skip_existing' });
    expect(job.status).toBe('completed');
    expect((job.importResults as Record<string, unknown>).fileMaps).toMatchObject({ created: data.fileMaps.length - 1, skipped: 1 });
    const maps = (await snapshot(user)).items.fileMaps as PlainRecord[];
    expect(maps).toHaveLength(data.fileMaps.length);
    expect(maps.filter((m) => m.name === 'made in the app')).toHaveLength(1);
  });
});

describe('hostile packages are refused at validation; nothing is written', () => {
  it('a 15,000-category cycle: validation_failed with its report in the job, not failed', async () => {
    const data = await materialize(syntheticPackage({ transactions: 5, accounts: 1, files: 0, seed: 5 }));
    const n = 15000;
    const id = (i: number) => `c3000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    data.categories = Array.from({ length: n }, (_, i) => ({ ...data.categories[0], categoryId: id(i), parentCategoryId: id((i + 1) % n) }));
    data.transactions = data.transactions.map((t) => ({ ...t, categories: [], primaryCategoryId: undefined }));
    const user = newUser();
    const job = await h.runImport(user, await packageBuffer(data as PackageInput), { mergeStrategy: 'overwrite' });
    expect(job.status).toBe('validation_failed');
    const v = job.validationResults as { errorCount: number; errors: Array<{ code: string; message: string }> };
    expect(v.errors[0].code).toBe('CATEGORY_CYCLE');
    expect(v.errors[0].message).toContain('15000 categories');
    expect(await snapshot(user)).toEqual({ items: Object.fromEntries(ENTITY_KINDS.map((k) => [k, []])), objects: {} });
  });

  it('a record that would be an item over 400 KB', async () => {
    const data = await materialize(syntheticPackage({ transactions: 10, accounts: 1, files: 0, seed: 3 }));
    const rule = { ruleId: 'rule_00000000', fieldToMatch: 'description', condition: 'contains', value: 'v'.repeat(1000) };
    data.categories[0] = { ...data.categories[0], rules: Array.from({ length: 500 }, (_, i) => ({ ...rule, ruleId: `rule_${String(i).padStart(8, '0')}` })) };
    const user = newUser();
    const job = await h.runImport(user, await packageBuffer(data as PackageInput), { mergeStrategy: 'overwrite' });
    expect(job.status).toBe('validation_failed');
    expect((job.validationResults as { errors: Array<{ code: string }> }).errors[0].code).toBe('ITEM_TOO_LARGE');
    expect(eventsOf(job.importId)).toEqual(['Import Validation Failed']);
    expect(await snapshot(user)).toEqual({ items: Object.fromEntries(ENTITY_KINDS.map((k) => [k, []])), objects: {} });
  });

  it('1,800 large categories: validate stays bounded (chunks flush by bytes) and the job is validated', async () => {
    const data = await materialize(syntheticPackage({ transactions: 5, accounts: 1, files: 0, seed: 4 }));
    const base = data.categories[0];
    data.categories = Array.from({ length: 1800 }, (_, i) => ({
      ...base,
      categoryId: `c2000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      parentCategoryId: undefined,
      description: 'd'.repeat(9000),
    }));
    data.transactions = data.transactions.map((t) => ({ ...t, categories: [], primaryCategoryId: undefined }));
    const small = await startWorkflowHarness({ chunkSize: 5000, chunkBytes: 1024 * 1024 });
    try {
      const job = await small.runImport(newUser(), await packageBuffer(data as PackageInput), { validateOnly: true });
      expect(job.status).toBe('validation_passed');
      const listed = await small.servers.s3.send(new ListObjectsV2Command({ Bucket: small.packagesBucket, Prefix: `staging/${job.importId}/categories/` }));
      expect(listed.Contents!.length).toBeGreaterThanOrEqual(15); // ~16 MB of categories in chunks of at most ~1 MiB
      for (const o of listed.Contents!) expect(o.Size!).toBeLessThan(2 * 1024 * 1024);
    } finally {
      await small.stop();
    }
  });
});
