import { randomUUID } from 'node:crypto';
import { JobStore } from '../../functions/jobs/job-store';
import { ALLOWED_FROM, JOB_STATUSES, JobStatus } from '../../functions/jobs/job';
import { IllegalTransitionError } from '../../functions/jobs/errors';
import { startLocalServers, LocalServers } from '../../local/servers';
import { jobTableDefinition } from '../../local/tables';
import { MAX_TOUCHED_MONTHS } from '../../functions/jobs/work-ledger';
import { touchedMonthsOf } from '../../functions/jobs/import-events';

let servers: LocalServers;
let store: JobStore;
let clock = 1_700_000_000_000;
beforeAll(async () => {
  servers = await startLocalServers({ buckets: [], tables: [jobTableDefinition('jobs-store')] });
  store = new JobStore(servers.doc, {
    tableName: 'jobs-store',
    retentionDays: 7,
    pendingTtlSeconds: 86400,
    maxUnfinishedJobsPerUser: 1000,
    now: () => clock,
  });
});
afterAll(() => servers.stop());

/** A job put into `status` through legal transitions only. */
async function jobIn(status: JobStatus): Promise<string> {
  const importId = randomUUID();
  await store.create({ importId, userId: 'u', mergeStrategy: 'overwrite', validateOnly: false, packageFormat: 'fzip', packageS3Key: 'k' });
  const path: Record<JobStatus, JobStatus[]> = {
    uploaded: [],
    queued: ['queued'],
    validating: ['validating'],
    validation_passed: ['validating', 'validation_passed'],
    validation_failed: ['validating', 'validation_failed'],
    awaiting_confirmation: ['validating', 'awaiting_confirmation'],
    expired: ['validating', 'awaiting_confirmation', 'expired'],
    processing: ['validating', 'validation_passed', 'processing'],
    canceling: ['validating', 'validation_passed', 'processing', 'canceling'],
    rolling_back: ['validating', 'validation_passed', 'processing', 'rolling_back'],
    completed: ['validating', 'validation_passed', 'processing', 'completed'],
    failed: ['failed'],
    canceled: ['canceled'],
    undoing: ['validating', 'validation_passed', 'processing', 'completed', 'undoing'],
    undone: ['validating', 'validation_passed', 'processing', 'completed', 'undoing', 'undone'],
  };
  for (const s of path[status]) await store.transition(importId, s);
  return importId;
}

const pairs = JOB_STATUSES.flatMap((from) => JOB_STATUSES.map((to) => [from, to] as [JobStatus, JobStatus]));

describe('JobStore.transition', () => {
  it.each(pairs)('%s -> %s is allowed only along the documented edges', async (from, to) => {
    const id = await jobIn(from);
    const allowed = ALLOWED_FROM[to].includes(from);
    if (allowed) {
      const job = await store.transition(id, to);
      expect(job.status).toBe(to);
    } else if (from === to) {
      // repeating a transition already made is a no-op
      const before = await store.get(id);
      const job = await store.transition(id, to);
      expect(job).toEqual(before);
    } else {
      await expect(store.transition(id, to)).rejects.toBeInstanceOf(IllegalTransitionError);
      expect((await store.get(id))!.status).toBe(from);
    }
  });

  it('lets exactly one of two racing transitions win', async () => {
    const id = await jobIn('processing');
    const results = await Promise.allSettled([store.transition(id, 'completed'), store.transition(id, 'failed', { errorMessage: 'x' })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
  });

  it('moves expiresAt to the retention period and sets completedAt when a job ends', async () => {
    const id = await jobIn('processing');
    const job = await store.transition(id, 'completed', { importResults: { accounts: { created: 1 } } });
    expect(job).toMatchObject({ status: 'completed', progress: 100, completedAt: clock, expiresAt: Math.floor(clock / 1000) + 7 * 86400 });
    expect(job.version).toBeGreaterThan(1);
  });

  it('keeps progress monotonic and only while running', async () => {
    const id = await jobIn('processing');
    await store.reportProgress(id, 60, 'importing_transactions');
    await store.reportProgress(id, 40, 'importing_accounts');
    expect(await store.get(id)).toMatchObject({ progress: 60, currentPhase: 'importing_transactions' });
    await store.transition(id, 'completed');
    await store.reportProgress(id, 99, 'late');
    expect(await store.get(id)).toMatchObject({ progress: 100 });
  });

  it('keeps a queued or running job alive: its TTL moves forward with every update', async () => {
    const id = await jobIn('uploaded');
    const created = (await store.get(id))!;
    expect(created.expiresAt).toBe(Math.floor(clock / 1000) + 86400);
    clock += 20 * 3600 * 1000;
    await store.transition(id, 'validating');
    await store.reportProgress(id, 5, 'validating_package');
    const running = (await store.get(id))!;
    expect(running.expiresAt).toBeGreaterThanOrEqual(Math.floor(clock / 1000) + 86400);
    clock += 20 * 3600 * 1000;
    await store.reportProgress(id, 10, 'validating_transactions');
    expect((await store.get(id))!.expiresAt).toBeGreaterThan(running.expiresAt);
  });

  it('finds expired jobs through the expiry index', async () => {
    const id = await jobIn('failed');
    const job = (await store.get(id))!;
    const page = await store.listExpired(job.expiresAt, 1000);
    expect(page.jobs.map((j) => j.importId)).toContain(id);
    const earlier = await store.listExpired(job.expiresAt - 1, 1000);
    expect(earlier.jobs.map((j) => j.importId)).not.toContain(id);
  });
});

describe('the work ledger', () => {
  it('records the months an import touched, and stops growing past its bound (a flag says so)', async () => {
    const id = await jobIn('processing');
    await store.work.recordTouched(id, ['a1'], 1, 2, ['2024-02', '2024-01']);
    await store.work.recordTouched(id, [], undefined, undefined, ['2024-01', '2024-03']);
    expect((await store.get(id))!.touchedMonths!.sort()).toEqual(['2024-01', '2024-02', '2024-03']);
    const many = (from: number) => Array.from({ length: MAX_TOUCHED_MONTHS }, (_, i) => `${String(from + Math.floor(i / 12)).padStart(4, '0')}-${String((i % 12) + 1).padStart(2, '0')}`);
    await store.work.recordTouched(id, [], undefined, undefined, many(1000));
    await store.work.recordTouched(id, [], undefined, undefined, many(3000));
    const job = (await store.get(id))!;
    expect(job.touchedMonthsOverflow).toBe(true);
    expect(job.touchedMonths!.length).toBeLessThanOrEqual(MAX_TOUCHED_MONTHS + 3);
    expect(touchedMonthsOf(job)).toBeNull();
  });
});

describe('the months an import event carries', () => {
  const job = (over: Record<string, unknown>) => ({ importId: 'i', userId: 'u', status: 'completed', ...over }) as never;
  it('are null when not known: an import that wrote transactions without recording months, or too many', () => {
    expect(touchedMonthsOf(job({ touchedMonths: ['2024-02', '2024-01'] }))).toEqual(['2024-01', '2024-02']);
    expect(touchedMonthsOf(job({ importResults: { transactions: { created: 0, updated: 0 }, accounts: { created: 2 } } }))).toEqual([]);
    expect(touchedMonthsOf(job({ importResults: { transactions: { created: 3, updated: 0 } } }))).toBeNull();
    expect(touchedMonthsOf(job({ importResults: { transactions: { created: 0, updated: 0, deleted: 1 } } }))).toBeNull();
    expect(touchedMonthsOf(job({ touchedMonths: ['2024-01'], touchedMonthsOverflow: true }))).toBeNull();
  });
});
