/**
 * The crash test: the whole local stack (`local/start.ts`, its own process group) is killed
 * with SIGKILL at seeded random moments while a user's import, overwrite import, cancel (and
 * its rollback), undo or replace import runs; it is started again on the same data directory, every job of the
 * user must reach a final status within the recovery bound, and the user's data — every item
 * and every statement file's bytes, read directly from the stand-ins — must equal exactly the
 * state before the operation or the state after it, never one between.
 *
 *   npm run crash -- --points 30 --transactions 20000 --seed 7     (by hand; the figures in docs/)
 *   test/e2e/crash.test.ts                                          (a handful of points, in CI)
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FzipClient, isFinishedJob, Job } from '../../cli/client';
import { syntheticPackage } from '../../cli/synthetic-package';
import { ENTITY_KINDS } from '../../functions/fzip/entities';
import { EntityStore } from '../../functions/entities/entity-store';
import { LOCAL_AWS } from '../../local/servers';
import { LOCAL_NAMES, loadIssuer } from '../../local/stack';
import { materialize, packageBuffer } from '../helpers/packages';
import { changedPackage } from '../helpers/user-data';

export const SCENARIOS = ['import', 'overwrite', 'cancel', 'undo', 'replace'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface CrashOptions {
  points: number;
  transactions: number;
  seed: number;
  /** Scenarios to cycle through (all by default). */
  scenarios?: readonly Scenario[];
  /** How long every job may take to end after the restart. */
  recoveryMs?: number;
  log?: (line: string) => void;
  dataDir?: string;
}

export interface PointResult {
  point: number;
  scenario: Scenario;
  killAfterMs: number;
  /** What the user's jobs said when the kill came, and how they ended. */
  statusAtKill: string;
  finalStatuses: string[];
  recoveredInMs: number;
  state: 'before' | 'after' | 'between';
}

/** A user's data as it can be compared across users: our own attributes left out, bytes as digests. */
type State = { items: Record<string, unknown[]>; objects: Record<string, string> };

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Stack {
  private child?: ChildProcess;
  endpoints?: { apiUrl: string; dynamoEndpoint: string; s3Endpoint: string };

  constructor(
    private readonly dataDir: string,
    private readonly log: (l: string) => void,
  ) {}

  async start(): Promise<void> {
    const file = join(this.dataDir, 'endpoints.json');
    rmSync(file, { force: true });
    const root = join(__dirname, '..', '..');
    this.child = spawn(process.execPath, [require.resolve('ts-node/dist/bin.js'), '--transpile-only', join(root, 'local', 'start.ts')], {
      cwd: root,
      detached: true, // its own process group: the kill takes every process of the stack
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, FZIP_LOCAL_DIR: this.dataDir, FZIP_API_PORT: '0', FZIP_CLEANUP_SECONDS: '5', LOG_LEVEL: 'error' },
    });
    let stderr = '';
    this.child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const deadline = Date.now() + 120_000;
    while (!existsSync(file)) {
      if (this.child.exitCode !== null) throw new Error(`the local stack exited (${this.child.exitCode}): ${stderr}`);
      if (Date.now() > deadline) throw new Error(`the local stack did not start: ${stderr}`);
      await sleep(100);
    }
    await sleep(50); // the file is written in one call; let it land
    this.endpoints = JSON.parse(readFileSync(file, 'utf8'));
  }

  /** SIGKILL to the whole process group: nothing runs its shutdown. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    process.kill(-(child.pid as number), 'SIGKILL');
    await gone;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    process.kill(-(child.pid as number), 'SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([gone, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
    clearTimeout(timer); // nothing left pending: the test runner exits at once
    if (child.exitCode === null) await this.kill();
  }
}

export async function runCrashTest(opts: CrashOptions): Promise<PointResult[]> {
  const log = opts.log ?? (() => undefined);
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'fzip-crash-'));
  mkdirSync(dataDir, { recursive: true });
  const recoveryMs = opts.recoveryMs ?? 120_000;
  const scenarios = opts.scenarios ?? SCENARIOS;
  const random = rng(opts.seed);
  const issuer = loadIssuer(dataDir);
  const dir = mkdtempSync(join(tmpdir(), 'fzip-crash-pkg-'));
  const basePath = join(dir, 'base.fzip');
  const changedPath = join(dir, 'changed.fzip');
  writeFileSync(basePath, await packageBuffer(syntheticPackage({ transactions: opts.transactions, accounts: 3, files: 6, seed: opts.seed })));
  writeFileSync(changedPath, await changedPackage(opts.transactions, opts.seed, 'overwritten'));
  // replace: the base without a third of its transactions and one statement file, a fifth of the rest changed
  const replacePath = join(dir, 'replace.fzip');
  const baseInput = syntheticPackage({ transactions: opts.transactions, accounts: 3, files: 6, seed: opts.seed });
  const baseData = await materialize(baseInput);
  const dropped = baseData.transactionFiles[0].fileId;
  writeFileSync(
    replacePath,
    await packageBuffer({
      ...baseData,
      transactions: baseData.transactions
        .filter((_t, i) => i % 3 !== 0)
        .map((t, i) => ({ ...t, ...(i % 5 === 0 ? { description: `${String(t.description)} (replaced)` } : {}), ...(t.fileId === dropped ? { fileId: baseData.transactionFiles[1].fileId } : {}) })),
      transactionFiles: baseData.transactionFiles.slice(1),
      files: [...(baseInput.files ?? [])].filter((f) => f.fileId !== dropped),
    }),
  );

  const stack = new Stack(dataDir, log);
  await stack.start();
  const clients = () => {
    const e = stack.endpoints!;
    const aws = { region: 'us-east-1', credentials: LOCAL_AWS.credentials };
    const s3 = new S3Client({ ...aws, endpoint: e.s3Endpoint, forcePathStyle: true });
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ ...aws, endpoint: e.dynamoEndpoint }));
    return { s3, entities: new EntityStore(doc, LOCAL_NAMES.entityTables) };
  };
  const client = (user: string) => new FzipClient({ api: stack.endpoints!.apiUrl, token: issuer.sign(user, { ttlSeconds: 4 * 3600 }) });

  async function state(user: string): Promise<State> {
    const { s3, entities } = clients();
    const items: State['items'] = {};
    for (const kind of ENTITY_KINDS) {
      items[kind] = (await entities.listUserItems(kind, user))
        .map(({ pk: _p, userId: _u, importId: _i, ...rest }) => (typeof rest.s3Key === 'string' ? { ...rest, s3Key: rest.s3Key.slice(user.length) } : rest))
        .sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
    }
    const objects: State['objects'] = {};
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: LOCAL_NAMES.filesBucket, Prefix: `${user}/`, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const got = await s3.send(new GetObjectCommand({ Bucket: LOCAL_NAMES.filesBucket, Key: o.Key }));
        objects[(o.Key as string).slice(user.length)] = createHash('sha256').update(await got.Body!.transformToByteArray()).digest('hex');
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return { items, objects };
  }

  async function waitEnd(c: FzipClient, importId: string, limitMs = 600_000): Promise<Job> {
    const deadline = Date.now() + limitMs;
    for (;;) {
      const job = await c.status(importId);
      if (isFinishedJob(job)) return job;
      if (Date.now() > deadline) throw new Error(`import ${importId} still ${job.status}`);
      await sleep(200);
    }
  }

  /** Starts an import of a file (the S3 event starts it, as for any client); returns its id. */
  async function begin(c: FzipClient, path: string, mergeStrategy: string): Promise<string> {
    const created = await c.create({ mergeStrategy, validateOnly: false, packageFormat: 'fzip' } as never);
    await c.upload(created.uploadUrl, path);
    await c.start(created.importId);
    return created.importId;
  }

  // Reference runs: the states after each operation, and how long each takes (the kill windows).
  const ref = `crash-ref-${opts.seed}`;
  const rc = client(ref);
  const empty = await state(ref);
  let t = Date.now();
  if ((await waitEnd(rc, await begin(rc, basePath, 'overwrite'))).status !== 'completed') throw new Error('the reference import did not complete');
  const importMs = Date.now() - t;
  const afterBase = await state(ref);
  t = Date.now();
  const refOverwrite = await begin(rc, changedPath, 'overwrite');
  if ((await waitEnd(rc, refOverwrite)).status !== 'completed') throw new Error('the reference overwrite did not complete');
  const overwriteMs = Date.now() - t;
  const afterOverwrite = await state(ref);
  t = Date.now();
  await rc.undo(refOverwrite, false);
  if ((await waitEnd(rc, refOverwrite)).status !== 'undone') throw new Error('the reference undo did not end undone');
  const undoMs = Date.now() - t;
  if (JSON.stringify(await state(ref)) !== JSON.stringify(afterBase)) throw new Error('the reference undo did not restore the base state');
  t = Date.now();
  if ((await waitEnd(rc, await begin(rc, replacePath, 'replace'))).status !== 'completed') throw new Error('the reference replace did not complete');
  const replaceMs = Date.now() - t;
  const afterReplace = await state(ref);
  log(`reference: import ${importMs} ms, overwrite ${overwriteMs} ms, undo ${undoMs} ms, replace ${replaceMs} ms (${opts.transactions} transactions)`);

  const same = (a: State, b: State) => JSON.stringify(a) === JSON.stringify(b);
  const results: PointResult[] = [];
  try {
    for (let point = 0; point < opts.points; point++) {
      const scenario = scenarios[point % scenarios.length];
      const user = `crash-${opts.seed}-${point}`;
      const c = client(user);
      let before: State;
      let after: State;
      let window: number;
      let act: () => Promise<string>;
      if (scenario === 'import') {
        [before, after, window] = [empty, afterBase, importMs];
        act = () => begin(c, basePath, 'overwrite');
      } else {
        const setup = await waitEnd(c, await begin(c, basePath, 'overwrite'));
        if (setup.status !== 'completed') throw new Error(`point ${point}: setup import ended ${setup.status}: ${setup.errorMessage ?? ''}`);
        if (scenario === 'undo') {
          const done = await begin(c, changedPath, 'overwrite');
          if ((await waitEnd(c, done)).status !== 'completed') throw new Error(`point ${point}: setup overwrite failed`);
          [before, after, window] = [afterOverwrite, afterBase, undoMs];
          act = async () => (await c.undo(done, false), done);
        } else if (scenario === 'replace') {
          [before, after, window] = [afterBase, afterReplace, replaceMs];
          act = () => begin(c, replacePath, 'replace');
        } else {
          [before, after, window] = [afterBase, afterOverwrite, overwriteMs];
          act = () => begin(c, changedPath, 'overwrite');
        }
      }
      const id = await act();
      const started = Date.now();
      let killAfterMs = Math.floor(random() * window * 1.2); // a little past the reference: a kill after the end counts too
      if (scenario === 'cancel') {
        await sleep(Math.floor(random() * window * 0.8));
        await c.cancel(id).catch(() => undefined); // it may have completed already: then "after" is right
        killAfterMs = Date.now() - started + Math.floor(random() * overwriteMs);
      }
      await sleep(Math.max(0, started + killAfterMs - Date.now()));
      const statusAtKill = await c.status(id).then((j) => `${j.status}/${j.currentPhase ?? ''}`, () => 'unknown');
      await stack.kill();
      const restarted = Date.now();
      await stack.start();
      const c2 = client(user);
      const deadline = restarted + recoveryMs;
      let jobs: Job[];
      for (;;) {
        jobs = (await c2.list(100)).importJobs;
        if (jobs.every(isFinishedJob)) break;
        if (Date.now() > deadline) throw new Error(`point ${point} (${scenario}): jobs still running ${recoveryMs} ms after the restart: ${jobs.map((j) => j.status).join(', ')}`);
        await sleep(250);
      }
      const recoveredInMs = Date.now() - restarted;
      const now = await state(user);
      const verdict = same(now, after) ? 'after' : same(now, before) ? 'before' : 'between';
      const r: PointResult = { point, scenario, killAfterMs, statusAtKill, finalStatuses: jobs.map((j) => j.status), recoveredInMs, state: verdict };
      results.push(r);
      log(`point ${point}: ${scenario}, killed after ${killAfterMs} ms (${statusAtKill}) -> ${r.finalStatuses.join(',')} in ${recoveredInMs} ms, data = ${verdict}`);
    }
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
    if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
  return results;
}
