import { randomUUID } from 'node:crypto';
import { WorkflowHarness, startWorkflowHarness } from '../helpers/workflow-harness';
import { ACC1, CAT1, CAT2, FILE1, HASH1, STATEMENT, TX1, housef3Data, housef3LongValues, housef3Package } from '../helpers/housef3-package';

let h: WorkflowHarness;
beforeAll(async () => {
  h = await startWorkflowHarness();
});
afterAll(() => h.stop());
afterEach(() => h.resetFaults());

const newUser = () => `user-${randomUUID()}`;

describe('import workflow (real ASL, dynalite, s3rver)', () => {
  it('imports a housef3 package end to end: every entity, exact money and hashes, file bytes restored', async () => {
    const user = newUser();
    const job = await h.runImport(user, housef3Package());
    expect(job).toMatchObject({ status: 'completed', progress: 100, currentPhase: 'completed' });
    expect(job.importResults).toEqual({
      accounts: { created: 2, updated: 0, skipped: 0, unchanged: 0, errors: 0 },
      categories: { created: 2, updated: 0, skipped: 0, unchanged: 0, errors: 0 },
      fileMaps: { created: 1, updated: 0, skipped: 0, unchanged: 0, errors: 0 },
      transactionFiles: { created: 1, updated: 0, skipped: 0, unchanged: 0, errors: 0 },
      transactions: { created: 2, updated: 0, skipped: 0, unchanged: 0, errors: 0 },
    });
    const txs = await h.items('transactions', user);
    const tx = txs.find((t) => t.transactionId === TX1)!;
    expect(tx).toMatchObject({ userId: user, importId: job.importId, amount: '-12.34', balance: '987.66', transactionHash: HASH1 });
    expect(tx.categories).toEqual([expect.objectContaining({ categoryId: CAT2, isManual: false })]);
    const accounts = await h.items('accounts', user);
    expect(accounts.find((a) => a.accountId === ACC1)).toMatchObject({ balance: '1234.50', firstTransactionDate: 1704067200000, importsStartDate: 1704067200000 });
    const cats = await h.items('categories', user);
    expect(cats.map((c) => c.categoryId).sort()).toEqual([CAT1, CAT2]);
    const files = await h.items('transactionFiles', user);
    expect(files[0]).toMatchObject({ fileId: FILE1, s3Key: `${user}/${FILE1}/statement jan.csv`, dateRange: { startDate: 1704067200000, endDate: 1704153600000 } });
    expect((await h.fileBytes(`${user}/${FILE1}/statement jan.csv`))?.toString()).toBe(STATEMENT);
    expect(job.validationResults).toMatchObject({ valid: true, errorCount: 0, plan: { transactions: { create: 2, overwrite: 0, skip: 0 } } });
    const exec = h.machine.executions.get(job.importId)!;
    expect(exec.status).toBe('SUCCEEDED');
    // only ids, keys and counts travel between states
    expect(JSON.stringify(exec.output)).not.toContain('TESCO');
    expect(JSON.stringify(exec.events)).not.toContain('-12.34');
  });
});

describe('validation outcomes', () => {
  it('stops at validation_passed for validateOnly and writes nothing', async () => {
    const user = newUser();
    const job = await h.runImport(user, housef3Package(), { validateOnly: true });
    expect(job).toMatchObject({ status: 'validation_passed', progress: 100 });
    expect(job.completedAt).toEqual(expect.any(Number));
    expect(job.validationResults).toMatchObject({ valid: true, counts: { transactions: 2 }, plan: { accounts: { create: 2 } } });
    expect(await h.items('accounts', user)).toEqual([]);
    expect(await h.items('transactions', user)).toEqual([]);
    expect(h.machine.executions.get(job.importId)!.status).toBe('SUCCEEDED');
  });

  it('ends validation_failed with the errors for an invalid package, and writes nothing', async () => {
    const user = newUser();
    const data = housef3Data();
    data.transactions[1].accountId = 'a0000000-0000-4000-8000-0000000000ff';
    const job = await h.runImport(user, housef3Package({ data }));
    expect(job.status).toBe('validation_failed');
    expect(job.validationResults).toMatchObject({
      valid: false,
      errorCount: 1,
      errors: [{ code: 'UNKNOWN_REFERENCE', file: 'data/transactions.json.gz', index: 1, field: '/accountId' }],
    });
    expect(job.errorMessage).toContain('UNKNOWN_REFERENCE');
    expect(await h.items('accounts', user)).toEqual([]);
    expect(h.machine.executions.get(job.importId)!.status).toBe('FAILED');
  });

  it('ends validation_failed for a file that is not a package at all', async () => {
    const job = await h.runImport(newUser(), Buffer.from('this is not a zip'));
    expect(job.status).toBe('validation_failed');
    expect(job.validationResults).toMatchObject({ errors: [{ code: 'NOT_A_ZIP' }] });
  });
});

describe('merge strategies on a user who already has part of the data', () => {
  /** The user first imports accounts and categories only, with older names. */
  async function userWithPartialData(): Promise<string> {
    const user = newUser();
    const data = housef3Data();
    data.accounts[0].accountName = 'Old name';
    const partial = { ...data, transactions: [], transaction_files: [], file_maps: [] } as unknown as ReturnType<typeof housef3Data>;
    (partial.accounts[0] as Record<string, unknown>).defaultFileMapId = undefined;
    delete (partial.accounts[0] as Record<string, unknown>).defaultFileMapId;
    const first = await h.runImport(user, housef3Package({ data: partial, omitStatement: true }), { mergeStrategy: 'overwrite' });
    expect(first.status).toBe('completed');
    return user;
  }

  it('fail_on_conflict: validation fails listing only the ids whose records differ, nothing is written', async () => {
    const user = await userWithPartialData();
    const job = await h.runImport(user, housef3Package());
    expect(job.status).toBe('validation_failed');
    const errors = (job.validationResults as { errors: Array<{ code: string; id: string }> }).errors;
    // the renamed account differs; the other account and the categories are identical: not conflicts
    expect(errors.filter((e) => e.code === 'ID_CONFLICT').map((e) => e.id)).toEqual([ACC1]);
    expect((job.validationResults as { errorCount: number }).errorCount).toBe(1);
    expect(job.validationResults).toMatchObject({ existingCount: 4, conflictCount: 1 });
    expect(await h.items('transactions', user)).toEqual([]);
    expect((await h.items('accounts', user)).find((a) => a.accountId === ACC1)!.accountName).toBe('Old name');
  });

  it('overwrite: existing items are replaced, counted as updated', async () => {
    const user = await userWithPartialData();
    const job = await h.runImport(user, housef3Package(), { mergeStrategy: 'overwrite' });
    expect(job.status).toBe('completed');
    expect(job.importResults).toMatchObject({
      // the renamed account is replaced; the identical account and categories are not rewritten
      accounts: { created: 0, updated: 1, skipped: 0, unchanged: 1 },
      categories: { created: 0, updated: 0, skipped: 0, unchanged: 2 },
      transactions: { created: 2, updated: 0, skipped: 0 },
    });
    expect((await h.items('accounts', user)).find((a) => a.accountId === ACC1)!.accountName).toBe('Main Checking');
    expect(await h.items('transactions', user)).toHaveLength(2);
  });

  it('skip_existing: existing items are kept, counted as skipped', async () => {
    const user = await userWithPartialData();
    const job = await h.runImport(user, housef3Package(), { mergeStrategy: 'skip_existing' });
    expect(job.status).toBe('completed');
    expect(job.importResults).toMatchObject({
      accounts: { created: 0, updated: 0, skipped: 1, unchanged: 1 },
      categories: { created: 0, updated: 0, skipped: 0, unchanged: 2 },
      fileMaps: { created: 1, updated: 0, skipped: 0 },
      transactions: { created: 2, updated: 0, skipped: 0 },
    });
    expect((await h.items('accounts', user)).find((a) => a.accountId === ACC1)!.accountName).toBe('Old name');
    expect(job.validationResults).toMatchObject({ plan: { accounts: { create: 0, unchanged: 1, conflicts: 1, overwrite: 0, skip: 1 } } });
  });

  it('re-importing the same package writes nothing: every record is unchanged', async () => {
    const user = newUser();
    expect((await h.runImport(user, housef3Package())).status).toBe('completed');
    const again = await h.runImport(user, housef3Package(), { mergeStrategy: 'skip_existing' });
    expect(again.importResults).toMatchObject({
      accounts: { created: 0, skipped: 0, unchanged: 2 },
      transactions: { created: 0, skipped: 0, unchanged: 2 },
      transactionFiles: { created: 0, skipped: 0, unchanged: 1 },
    });
  });
});

describe('the same backup twice', () => {
  it("housef3's sample imported twice under fail_on_conflict: completed, every record unchanged, nothing rewritten", async () => {
    const user = newUser();
    expect((await h.runImport(user, housef3Package())).status).toBe('completed');
    const before = await Promise.all((['accounts', 'categories', 'fileMaps', 'transactionFiles', 'transactions'] as const).map((k) => h.items(k, user)));
    const again = await h.runImport(user, housef3Package());
    expect(again.status).toBe('completed');
    expect(again.importResults).toEqual({
      accounts: { created: 0, updated: 0, skipped: 0, unchanged: 2, errors: 0 },
      categories: { created: 0, updated: 0, skipped: 0, unchanged: 2, errors: 0 },
      fileMaps: { created: 0, updated: 0, skipped: 0, unchanged: 1, errors: 0 },
      transactionFiles: { created: 0, updated: 0, skipped: 0, unchanged: 1, errors: 0 },
      transactions: { created: 0, updated: 0, skipped: 0, unchanged: 2, errors: 0 },
    });
    // every item still carries the first import's id: nothing was rewritten
    expect(await Promise.all((['accounts', 'categories', 'fileMaps', 'transactionFiles', 'transactions'] as const).map((k) => h.items(k, user)))).toEqual(before);
    // and nothing was even looked at again: validation's plan said so, the write phases never ran
    const states = h.machine.executions.get(again.importId)!.events.filter((e) => e.type === 'StateEntered').map((e) => (e.state as { name: string }).name);
    expect(states).toEqual(['Import, confirm, roll back or undo?', 'Validate package', 'Package valid?', 'Complete import', 'Import completed']);
    expect(again.journalParts ?? 0).toBe(0);
  });

  it('a backup that differs in one record runs the write phases as usual', async () => {
    const user = newUser();
    expect((await h.runImport(user, housef3Package())).status).toBe('completed');
    const data = housef3Data();
    data.accounts = data.accounts.map((a, i) => (i === 0 ? { ...a, accountName: 'Renamed' } : a));
    const again = await h.runImport(user, housef3Package({ data }), { mergeStrategy: 'overwrite' });
    expect(again.importResults).toMatchObject({ accounts: { updated: 1, unchanged: 1 }, transactions: { unchanged: 2 } });
    const states = h.machine.executions.get(again.importId)!.events.filter((e) => e.type === 'StateEntered').map((e) => (e.state as { name: string }).name);
    expect(states).toContain('Import accounts');
  });
});

describe('values housef3 accepts', () => {
  it('long names and messages, an empty account name, many decimals: the package validates and imports them exactly', async () => {
    const { data, statementName } = housef3LongValues();
    const user = newUser();
    const job = await h.runImport(user, housef3Package({ data, statementName }));
    expect((job.validationResults as { errors: unknown[] }).errors).toEqual([]);
    expect([job.status, job.errorMessage]).toEqual(['completed', undefined]);
    const file = (await h.items('transactionFiles', user))[0];
    expect(file.fileName).toBe(statementName);
    expect(await h.fileBytes(`${user}/${FILE1}/${statementName}`)).toEqual(Buffer.from(STATEMENT));
    expect((await h.items('accounts', user)).map((a) => a.accountName)).toContain('');
    expect((await h.items('transactions', user)).find((t) => t.sk === TX1)!.amount).toBe('-12.34000000000000000001');
  });

  it('a record that cannot be stored fails alone: its transactions and bytes are not reported again', async () => {
    const { data, statementName } = housef3LongValues();
    const tooLong = `${'長'.repeat(290)}.csv`; // 874 bytes: its storage key would pass S3's 1,024
    (data.transaction_files[0] as Record<string, unknown>).fileName = tooLong;
    const job = await h.runImport(newUser(), housef3Package({ data, statementName: tooLong }));
    expect(job.status).toBe('validation_failed');
    const errors = (job.validationResults as { errors: Array<{ code: string; field?: string }>; warnings: Array<{ code: string }> });
    expect(errors.errors.map((e) => [e.code, e.field])).toEqual([['INVALID_VALUE', '/fileName']]);
    expect(errors.warnings.map((w) => w.code)).not.toContain('UNREFERENCED_FILE');
    expect(statementName).not.toBe(tooLong);
  });
});

describe('isolation between users', () => {
  it('gives two users importing the same package their own copies', async () => {
    const a = newUser();
    const b = newUser();
    const [ja, jb] = await Promise.all([h.runImport(a, housef3Package()), h.runImport(b, housef3Package())]);
    expect(ja.status).toBe('completed');
    expect(jb.status).toBe('completed');
    const ta = await h.items('transactions', a);
    const tb = await h.items('transactions', b);
    expect(ta).toHaveLength(2);
    expect(tb).toHaveLength(2);
    expect(ta.every((t) => t.userId === a && t.importId === ja.importId)).toBe(true);
    expect(tb.every((t) => t.userId === b && t.importId === jb.importId)).toBe(true);
    expect((await h.fileBytes(`${a}/${FILE1}/statement jan.csv`))?.toString()).toBe(STATEMENT);
    expect((await h.fileBytes(`${b}/${FILE1}/statement jan.csv`))?.toString()).toBe(STATEMENT);
  });
});

describe('packageFormat json', () => {
  it('imports the same data from one JSON document (no statement bytes: s3Key dropped)', async () => {
    const user = newUser();
    const d = housef3Data();
    const doc = { manifest: { backupFormatVersion: '1.0', backupTimestamp: 'x', packageFormat: 'json' }, accounts: d.accounts, categories: d.categories, fileMaps: d.file_maps, transactionFiles: d.transaction_files, transactions: d.transactions };
    const { pythonJson } = await import('../helpers/housef3-package');
    const job = await h.runImport(user, Buffer.from(pythonJson(doc)), { packageFormat: 'json' });
    expect(job.status).toBe('completed');
    expect((await h.items('transactions', user)).find((t) => t.transactionId === TX1)).toMatchObject({ transactionHash: HASH1, amount: '-12.34' });
    const files = await h.items('transactionFiles', user);
    expect(files[0]).not.toHaveProperty('s3Key');
  });
});
