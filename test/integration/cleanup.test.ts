import { randomUUID } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { JobStore } from '../../functions/jobs/job-store';
import { PackageStore, packageKey } from '../../functions/jobs/package-store';
import { cleanupExpiredJobs, CleanupDeps } from '../../functions/jobs/cleanup';
import { ExecutionStatus, WorkflowInput, WorkflowStarter } from '../../functions/jobs/workflow-starter';
import { Logger } from '../../functions/shared/logger';
import { LocalServers, startLocalServers } from '../../local/servers';
import { jobTableDefinition } from '../../local/tables';

let servers: LocalServers;
let clock = Date.UTC(2026, 0, 1);
let jobs: JobStore;
let packages: PackageStore;
const bucket = 'cleanup-packages';
const quiet = new Logger('t', {}, () => undefined);

beforeAll(async () => {
  servers = await startLocalServers({ buckets: [bucket], tables: [jobTableDefinition('cleanup-jobs')] });
  jobs = new JobStore(servers.doc, { tableName: 'cleanup-jobs', retentionDays: 7, pendingTtlSeconds: 86400, maxUnfinishedJobsPerUser: 100, now: () => clock });
  packages = new PackageStore(servers.s3, bucket);
});
afterAll(() => servers.stop());

/** Step Functions as cleanup sees it: executions with a status, and the starts it makes. */
class FakeWorkflow implements WorkflowStarter {
  readonly statuses = new Map<string, ExecutionStatus>();
  readonly started: Array<{ name: string; input: WorkflowInput }> = [];
  async start(name: string, input: WorkflowInput): Promise<string> {
    this.started.push({ name, input });
    this.statuses.set(name, 'RUNNING');
    return `arn:aws:states:us-east-1:000000000000:execution:fzip-import:${name}`;
  }
  async status(name: string): Promise<ExecutionStatus | undefined> {
    return this.statuses.get(name);
  }
}
const workflow = new FakeWorkflow();
const deps = (): CleanupDeps => ({ jobs, packages, logger: quiet, workflow, maxPackageBytes: 1 << 20 });

async function job(status: 'uploaded' | 'processing' | 'completed'): Promise<string> {
  const importId = randomUUID();
  const key = packageKey('u', importId);
  await jobs.create({ importId, userId: 'u', mergeStrategy: 'overwrite', validateOnly: false, packageFormat: 'fzip', packageS3Key: key });
  await servers.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'pkg' }));
  await servers.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `staging/${importId}/transactions/0.ndjson`, Body: 'x' }));
  if (status !== 'uploaded') {
    await jobs.transition(importId, 'validating');
    await jobs.transition(importId, 'validation_passed');
    await jobs.transition(importId, 'processing');
  }
  if (status === 'completed') await jobs.transition(importId, 'completed');
  return importId;
}

async function exists(key: string): Promise<boolean> {
  return servers.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    () => false,
  );
}

describe('cleanupExpiredJobs', () => {
  it('removes expired jobs with their package and staging objects, never running ones, and is safe to run twice at once', async () => {
    const abandoned = await job('uploaded'); // expires 24 h after creation
    const finished = await job('completed'); // expires 7 days after completion
    const running = await job('processing'); // expires 24 h after creation but is running
    workflow.statuses.set(running, 'RUNNING');
    const fresh = await job('completed');
    clock += 8 * 86400 * 1000;
    const young = await job('uploaded');
    const now = Math.floor(clock / 1000);
    const [a, b] = await Promise.all([
      cleanupExpiredJobs(deps(), now),
      cleanupExpiredJobs(deps(), now),
    ]);
    expect(a.jobsDeleted + b.jobsDeleted).toBeGreaterThanOrEqual(3);
    for (const id of [abandoned, finished, fresh]) {
      expect(await jobs.get(id)).toBeUndefined();
      expect(await exists(packageKey('u', id))).toBe(false);
      expect(await exists(`staging/${id}/transactions/0.ndjson`)).toBe(false);
    }
    expect((await jobs.get(running))!.status).toBe('processing');
    expect(await exists(packageKey('u', running))).toBe(true);
    expect(a.skippedRunning).toBe(1);
    expect(await jobs.get(young)).toMatchObject({ importId: young, status: 'uploaded' });
    const again = await cleanupExpiredJobs(deps(), now);
    expect(again).toMatchObject({ jobsDeleted: 0, skippedRunning: 1 });
  });

  it('reconciles a running job whose execution ended without telling anyone: a rollback execution starts', async () => {
    const stuck = await job('processing');
    workflow.statuses.set(stuck, 'TIMED_OUT'); // the end event was lost
    clock += 3600 * 1000;
    const result = await cleanupExpiredJobs(deps(), Math.floor(clock / 1000));
    expect(result.reconciled).toBeGreaterThanOrEqual(1);
    const after = (await jobs.get(stuck))!;
    expect(after.status).toBe('rolling_back');
    expect(after.errorMessage).toContain('TIMED_OUT');
    expect(workflow.started).toContainEqual(expect.objectContaining({ name: `${stuck}-rollback-2`, input: expect.objectContaining({ action: 'rollback' }) }));
  });

  it('treats an execution that cannot be found as aborted: the job is rolled back, not left running', async () => {
    const lost = await job('processing');
    workflow.statuses.delete(lost); // ExecutionDoesNotExist
    clock += 3600 * 1000;
    await cleanupExpiredJobs(deps(), Math.floor(clock / 1000));
    expect((await jobs.get(lost))!).toMatchObject({ status: 'rolling_back', errorMessage: expect.stringContaining('ABORTED') });
  });

  it('after a restart of the local stack: every unfinished job at once, dead leases cleared, a dead rollback tried again', async () => {
    const fresh = await job('processing'); // updated just now: a normal run would wait 10 minutes
    await jobs.leases.acquire(fresh, 'dead-writer', clock + 3_600_000);
    workflow.statuses.set(fresh, 'ABORTED');
    const rolling = await job('processing');
    await jobs.transition(rolling, 'rolling_back', { rollbackReason: 'failed', rollbackCursor: '0|', rollbackAttempts: 2 });
    workflow.statuses.set(rolling, 'ABORTED');
    await cleanupExpiredJobs(deps(), Math.floor(clock / 1000), 100, { staleAfterMs: 0, writersGone: true });
    expect(await jobs.leases.live(fresh)).toBe(0);
    expect((await jobs.get(fresh))!.status).toBe('rolling_back');
    // two attempts were used up before, but the last one died with the process: a new one starts
    expect((await jobs.get(rolling))!).toMatchObject({ status: 'rolling_back', rollbackAttempts: 1 });
    expect(workflow.started.map((s) => s.name)).toEqual(expect.arrayContaining([`${fresh}-rollback-2`, `${rolling}-rollback-2`]));
  });
});
