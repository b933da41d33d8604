import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { WorkflowHarness, startWorkflowHarness, workflowFunctions } from '../helpers/workflow-harness';
import { housef3Package } from '../helpers/housef3-package';
import { syntheticPackage } from '../../cli/synthetic-package';
import { writePackage } from '../../functions/fzip/writer';
import { handleUploads } from '../../functions/handlers/start';
import { startImport } from '../../functions/jobs/import-queue';
import { Logger } from '../../functions/shared/logger';

let h: WorkflowHarness;
let pkg: Buffer;
const TX = 1100;
beforeAll(async () => {
  h = await startWorkflowHarness({ chunkSize: 250 });
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (c: Buffer) => parts.push(c));
  await writePackage(syntheticPackage({ transactions: TX, accounts: 2, files: 3, seed: 3 }), out);
  pkg = Buffer.concat(parts);
});
afterAll(() => h.stop());
afterEach(() => h.resetFaults());

const newUser = () => `user-${randomUUID()}`;
const clean = { created: TX, updated: 0, skipped: 0, errors: 0 };

/** A Lambda-style failure: Step Functions matches on the error's name. */
function lambdaError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

describe('transactions in chunks', () => {
  it('imports every chunk through the Map state and reaches 100%', async () => {
    const user = newUser();
    const job = await h.runImport(user, pkg);
    expect(job.status).toBe('completed');
    expect(job.importResults).toMatchObject({ transactions: clean, transactionFiles: { created: 3 } });
    expect(await h.items('transactions', user)).toHaveLength(TX);
    const exec = h.machine.executions.get(job.importId)!;
    const chunkRuns = exec.events.filter((e) => e.type === 'StateEntered' && (e.state as { name: string }).name === 'Import transactions chunk');
    expect(chunkRuns).toHaveLength(Math.ceil(TX / 250));
  });
});

describe('faults injected into phases', () => {
  it('retries throttled batch writes (UnprocessedItems) and completes with exact counts', async () => {
    const user = newUser();
    const real = h.servers.doc;
    let throttled = 0;
    const throttling = {
      send: async (cmd: unknown) => {
        if (cmd instanceof BatchWriteCommand && throttled < 40) {
          const [table, reqs] = Object.entries(cmd.input.RequestItems ?? {})[0];
          if (reqs.length > 1) {
            throttled++;
            const half = Math.ceil(reqs.length / 2);
            await real.send(new BatchWriteCommand({ RequestItems: { [table]: reqs.slice(0, half) } }));
            return { UnprocessedItems: { [table]: reqs.slice(half) } };
          }
        }
        return real.send(cmd as never);
      },
    } as unknown as DynamoDBDocumentClient;
    h.withDoc(throttling);
    try {
      const job = await h.runImport(user, pkg, { mergeStrategy: 'overwrite' });
      expect(throttled).toBe(40);
      expect(job.status).toBe('completed');
      expect(job.importResults).toMatchObject({ transactions: clean });
    } finally {
      h.withDoc(real);
    }
    expect(await h.items('transactions', user)).toHaveLength(TX);
  });

  it('re-runs a step that crashed after writing part of its chunk: same end state and counts as a clean run', async () => {
    const user = newUser();
    const base = workflowFunctions(() => h.deps);
    const crashed = new Set<string>();
    const calls = { tx2: 0, cat: 0 };
    h.faults.ImportTransactionsFunctionArn = async (p: { chunk: number }) => {
      if (p.chunk === 2) calls.tx2++;
      if (p.chunk === 2 && !crashed.has('tx')) {
        crashed.add('tx');
        await base.ImportTransactionsFunctionArn(p); // the chunk was written...
        throw lambdaError('Lambda.Unknown', 'Runtime exited with error: signal: killed'); // ...then the Lambda died
      }
      return base.ImportTransactionsFunctionArn(p);
    };
    h.faults.ImportCategoriesFunctionArn = async (p) => {
      calls.cat++;
      if (!crashed.has('cat')) {
        crashed.add('cat');
        await base.ImportCategoriesFunctionArn(p);
        throw lambdaError('Lambda.Unknown', 'Runtime exited with error: signal: killed');
      }
      return base.ImportCategoriesFunctionArn(p);
    };
    const job = await h.runImport(user, pkg);
    expect(crashed).toEqual(new Set(['tx', 'cat']));
    expect(job.status).toBe('completed');
    expect(job.progress).toBe(100);
    expect(job.importResults).toMatchObject({ transactions: clean, categories: { created: 14, updated: 0, skipped: 0 } });
    expect(await h.items('transactions', user)).toHaveLength(TX);
    // each crashed step ran again (counted by the calls themselves, not by how the event log was collected)
    expect(calls).toEqual({ tx2: 2, cat: 2 });
  });

  it('fails the job naming the phase on a permanent error, rolled back, never left processing; the raw error stays in the logs', async () => {
    const user = newUser();
    h.faults.ImportFileMapsFunctionArn = async () => {
      throw lambdaError('ResourceNotFoundException', 'Requested resource not found: arn:aws:dynamodb:eu-west-1:123456789012:table/fzip-file-maps');
    };
    const job = await h.runImport(user, housef3Package());
    expect(job.status).toBe('failed');
    expect(job.errorMessage).toBe('Import failed in phase "Import file maps": an internal error occurred (it has been logged)');
    expect(job.rolledBack).toBe(true);
    expect(job.completedAt).toEqual(expect.any(Number));
    expect(h.machine.executions.get(job.importId)!.status).toBe('FAILED');
    expect(await h.items('accounts', user)).toEqual([]);
  });

  it('fails the job (not validation_failed) when the validation step itself breaks', async () => {
    h.faults.ValidateFunctionArn = async () => {
      throw lambdaError('AccessDenied', 'User: arn:aws:sts::123456789012:assumed-role/x is not authorized');
    };
    const job = await h.runImport(newUser(), housef3Package());
    expect(job).toMatchObject({ status: 'failed', rolledBack: true, errorMessage: 'Import failed in phase "Validate package": an internal error occurred (it has been logged)' });
    expect(job.errorMessage).not.toContain('123456789012');
  });
});

describe('duplicate starts', () => {
  it('starts one execution for the same S3 event delivered twice together with POST /upload', async () => {
    const user = newUser();
    const job = await h.createJob(user);
    await h.upload(job, housef3Package());
    const base = workflowFunctions(() => h.deps);
    let validations = 0;
    h.faults.ValidateFunctionArn = async (p) => {
      validations++;
      return base.ValidateFunctionArn(p);
    };
    const deps = h.startDeps;
    const record = { bucket: h.packagesBucket, key: job.packageS3Key };
    const quiet = new Logger('t', {}, () => undefined);
    await Promise.all([
      handleUploads([record], deps, h.packagesBucket, quiet),
      handleUploads([record], deps, h.packagesBucket, quiet),
      startImport(job.importId, user, deps).catch(() => undefined),
    ]);
    await h.machine.idle();
    // a late duplicate after completion is a no-op too
    await handleUploads([record], deps, h.packagesBucket, quiet);
    await h.machine.idle();
    expect(validations).toBe(1);
    expect((await h.jobs.get(job.importId))!.status).toBe('completed');
  });

  it('ignores uploads of unknown imports, foreign keys and other prefixes', async () => {
    const owner = newUser();
    const job = await h.createJob(owner);
    await h.upload(job, housef3Package());
    const deps = h.startDeps;
    const lines: string[] = [];
    const log = new Logger('t', {}, (l) => lines.push(l));
    process.env.LOG_LEVEL = 'info';
    await handleUploads(
      [
        { bucket: h.packagesBucket, key: `uploads/intruder/${job.importId}.fzip` },
        { bucket: h.packagesBucket, key: `uploads/${owner}/${randomUUID()}.fzip` },
        { bucket: h.packagesBucket, key: 'staging/x/manifest.json' },
        { bucket: 'other-bucket', key: job.packageS3Key },
      ],
      deps,
      h.packagesBucket,
      log,
    ).finally(() => {
      process.env.LOG_LEVEL = 'silent';
    });
    expect(lines.filter((l) => l.includes('upload ignored'))).toHaveLength(4);
    expect((await h.jobs.get(job.importId))!.status).toBe('uploaded');
  });
});
