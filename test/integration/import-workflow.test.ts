import { randomUUID } from 'node:crypto';
import { WorkflowHarness, startWorkflowHarness } from '../helpers/workflow-harness';
import { ACC1, CAT1, CAT2, FILE1, HASH1, STATEMENT, TX1, housef3Data, housef3Package } from '../helpers/housef3-package';

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
      accounts: { created: 2, updated: 0, skipped: 0, errors: 0 },
      categories: { created: 2, updated: 0, skipped: 0, errors: 0 },
      fileMaps: { created: 1, updated: 0, skipped: 0, errors: 0 },
      transactionFiles: { created: 1, updated: 0, skipped: 0, errors: 0 },
      transactions: { created: 2, updated: 0, skipped: 0, errors: 0 },
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
