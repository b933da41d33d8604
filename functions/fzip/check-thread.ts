/**
 * Inspects transactions on a second thread while the validator's thread reads the package: the
 * validator decodes (inflate, gunzip, UTF-8, split) and sends batches of record texts to a worker
 * (check-worker.ts), which inspects them as the validator's thread would (TransactionInspector)
 * and answers each with its verdict. When the worker is behind, the validator's thread inspects
 * the next batch itself rather than wait: both CPUs stay busy whichever part is slower here.
 * Verdicts are given in read order, wherever they were made, so the report is the same.
 *
 * Memory stays bounded: at most BATCHES_AT_WORKER batches wait for the worker, and at most
 * BATCHES_AHEAD batches of at most MAX_BATCH_RECORDS records are read ahead of the one whose
 * verdict is awaited.
 * One worker per process, started on first use and kept (unreferenced while idle: it never holds
 * a process open); several validations may inspect through it at once.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { FzipFatalError } from './issues';
import type { JsonElement } from './json/element-splitter';
import type { FzipLimits } from './limits';
import type { BatchVerdict } from './transaction-check';

/** The ids transactions may refer to, as lists (a worker makes its sets of them). */
export interface ReferenceSnapshot {
  accountIds: string[];
  fileIds: string[];
  categoryIds: string[];
}

/** What inspecting one data file needs, as plain data. */
export interface CheckSpec {
  file: string;
  limits: FzipLimits;
  references: ReferenceSnapshot;
}

/** What the validator's thread tells the worker. A batch is its texts joined, cut at `ends`. */
export type ToWorker =
  | { t: 'begin'; id: number; spec: CheckSpec }
  | { t: 'batch'; id: number; text: string; ends: Uint32Array; indexes: Uint32Array; keys: Uint32Array }
  | { t: 'end'; id: number };

/** What the worker tells the validator's thread: that it is ready, one verdict per batch in order, or why it could not. */
export type FromWorker = { t: 'ready' } | { t: 'verdict'; id: number; verdict: BatchVerdict } | { t: 'fail'; id: number; message: string };

/** Batches sent to the worker and not yet answered: enough to keep it busy. */
const BATCHES_AT_WORKER = 4;
/** Batches read ahead of the one whose verdict is awaited (the rest inspected here meanwhile). */
const BATCHES_AHEAD = 16;
/**
 * Records a batch holds at most (the validator cuts larger ones): what is read ahead, and what a
 * verdict holds, stays bounded by records, however small the records are.
 */
export const MAX_BATCH_RECORDS = 4096;
/** Below this many stored bytes of transactions, checking stays on the validator's thread (a worker would not pay back its start). */
export const THREAD_MIN_DATA_BYTES = 2 * 1024 * 1024;

export type CheckThreadMode = 'auto' | 'always' | 'never';

/**
 * The worker holds a few batches at a time and the reference ids (at most 100,000 of each kind):
 * a small heap keeps the process's memory near the single-thread validator's. Should a batch ever need more,
 * the worker stops and the validator's thread inspects what it had not answered.
 */
const WORKER_HEAP = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 96 };

/** Whether transactions stored in this many bytes are checked in the worker. */
export function checksInThread(mode: CheckThreadMode, dataBytes: number): boolean {
  if (mode === 'auto') return dataBytes >= THREAD_MIN_DATA_BYTES && availableParallelism() > 1;
  return mode === 'always';
}

/** A batch read, and its verdict once made (here, or by the worker). */
interface Pending {
  batch: JsonElement[];
  verdict?: BatchVerdict;
}

class Checking {
  /** Batches at the worker, oldest first: its verdicts come back in this order. */
  readonly atWorker: Pending[] = [];
  /** The worker failed or stopped before answering (its verdicts are then made here). */
  failure?: Error;
  private waiters: Array<() => void> = [];

  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }
}

/** The worker script: compiled JavaScript beside this file (dist, the Lambda bundle), or the TypeScript source. */
function workerScript(): { file: string; execArgv?: string[] } | undefined {
  const js = join(__dirname, 'check-worker.js');
  if (existsSync(js)) return { file: js };
  const ts = join(__dirname, 'check-worker.ts');
  if (!existsSync(ts)) return undefined;
  try {
    // the source runs under ts-node, as this thread does (tests, the local stack, bin/fzip.js), wherever the process started
    return { file: ts, execArgv: ['--require', require.resolve('ts-node/register/transpile-only')] };
  } catch {
    return undefined;
  }
}

function batchMessage(id: number, els: JsonElement[]): { m: ToWorker; transfer: ArrayBuffer[] } {
  const ends = new Uint32Array(els.length);
  const indexes = new Uint32Array(els.length);
  const keys = new Uint32Array(els.length);
  const texts: string[] = new Array(els.length);
  let at = 0;
  for (let i = 0; i < els.length; i++) {
    const e = els[i];
    texts[i] = e.text;
    at += e.text.length;
    ends[i] = at;
    indexes[i] = e.index;
    keys[i] = e.keys;
  }
  return { m: { t: 'batch', id, text: texts.join(''), ends, indexes, keys }, transfer: [ends.buffer, indexes.buffer, keys.buffer] };
}

export class CheckThread {
  private static starting?: Promise<CheckThread | undefined>;
  /** The worker `starting` gave: only its end lets the next validation start another. */
  private static current?: CheckThread;
  /** How many verdicts workers of this process gave (tests hold that the worker did answer). */
  static workerVerdicts = 0;

  /** The process's worker, started on first use; undefined when no worker can run here. */
  static get(): Promise<CheckThread | undefined> {
    if (!CheckThread.starting) CheckThread.starting = CheckThread.start();
    return CheckThread.starting;
  }

  private static start(): Promise<CheckThread | undefined> {
    const script = workerScript();
    if (!script) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      let worker: Worker;
      try {
        worker = new Worker(script.file, { ...(script.execArgv ? { execArgv: script.execArgv } : {}), resourceLimits: WORKER_HEAP });
      } catch {
        resolve(undefined);
        return;
      }
      const failedToStart = () => {
        CheckThread.starting = undefined;
        resolve(undefined);
      };
      worker.once('error', failedToStart);
      worker.once('exit', failedToStart);
      worker.once('online', () => {
        worker.off('error', failedToStart);
        worker.off('exit', failedToStart);
        const thread = new CheckThread(worker);
        CheckThread.current = thread;
        resolve(thread);
      });
    });
  }

  private nextId = 1;
  private readonly checkings = new Map<number, Checking>();
  /** The worker has loaded its code: batches sent before would wait on that, so until then this thread inspects them. */
  private ready = false;
  private readonly whenReady: Promise<void>;
  private becameReady!: () => void;

  private gone = false;

  private constructor(private readonly worker: Worker) {
    this.whenReady = new Promise((resolve) => (this.becameReady = resolve));
    worker.on('message', (m: FromWorker) => this.receive(m));
    // Whatever ends the worker (an error, its exit, a message it cannot send): the validations
    // using it go on without it, and the next validation starts another.
    const stopped = (why: string) => {
      if (this.gone) return;
      this.gone = true;
      if (CheckThread.current === this) {
        CheckThread.current = undefined;
        CheckThread.starting = undefined;
      }
      this.becameReady(); // nobody waits on a worker that is gone (the failure below is seen instead)
      for (const c of this.checkings.values()) {
        c.failure ??= new Error(`the checking thread stopped: ${why}`);
        c.notify();
      }
      this.checkings.clear();
      void worker.terminate();
    };
    worker.on('error', (err) => stopped(err.message));
    worker.on('messageerror', (err) => stopped(`a message could not be read: ${err.message}`));
    worker.on('exit', (code) => stopped(`exit code ${code}`));
    worker.unref(); // after the listeners: listening for messages refs the worker again
  }

  private receive(m: FromWorker): void {
    if (m.t === 'ready') {
      this.ready = true;
      this.becameReady();
      return;
    }
    const c = this.checkings.get(m.id);
    if (!c) return;
    if (m.t === 'verdict') {
      CheckThread.workerVerdicts++;
      const p = c.atWorker.shift();
      if (p) p.verdict = m.verdict;
    } else {
      c.failure = new Error(`the checking thread failed: ${m.message}`);
    }
    c.notify();
  }

  /**
   * Each batch with its verdict, in the order read; `inspect` makes a verdict on this thread. A
   * failure to read further (an FzipFatalError) is thrown once the batches read before it are
   * given, as if they had been inspected in turn. `waitForWorker`: let the worker load before
   * the first batch (else this thread inspects until it is ready).
   */
  async *verdicts(
    spec: CheckSpec,
    batches: AsyncIterable<JsonElement[]>,
    inspect: (batch: JsonElement[]) => BatchVerdict,
    waitForWorker = false,
  ): AsyncGenerator<{ batch: JsonElement[]; verdict: BatchVerdict }> {
    const id = this.nextId++;
    const c = new Checking();
    this.checkings.set(id, c);
    // held open from here: while it waits for the worker nothing else may keep the process alive
    if (this.checkings.size === 1) this.worker.ref();
    this.worker.postMessage({ t: 'begin', id, spec } satisfies ToWorker);
    if (waitForWorker) await this.whenReady;
    const read: Pending[] = [];
    const input = batches[Symbol.asyncIterator]();
    let inputDone = false;
    let readFailure: unknown;
    let workerGone = false;
    try {
      for (;;) {
        if (c.failure) {
          // The worker failed or stopped: inspection is pure, so this thread makes the verdicts it
          // had not given, and every later one (the report cannot tell).
          for (const p of c.atWorker) p.verdict ??= inspect(p.batch);
          c.atWorker.length = 0;
          c.failure = undefined;
          workerGone = true;
        }
        const head = read[0];
        if (head?.verdict) {
          read.shift();
          yield { batch: head.batch, verdict: head.verdict };
          continue;
        }
        if (!inputDone && read.length < BATCHES_AHEAD) {
          let next: IteratorResult<JsonElement[]>;
          try {
            next = await input.next();
          } catch (err) {
            if (!(err instanceof FzipFatalError)) throw err;
            readFailure = err;
            inputDone = true;
            continue;
          }
          if (next.done) {
            inputDone = true;
            continue;
          }
          const p: Pending = { batch: next.value };
          if (this.ready && !workerGone && c.atWorker.length < BATCHES_AT_WORKER) {
            const { m, transfer } = batchMessage(id, next.value);
            this.worker.postMessage(m, transfer);
            c.atWorker.push(p);
          } else {
            p.verdict = inspect(next.value); // the worker is behind: this thread inspects meanwhile
          }
          read.push(p);
          continue;
        }
        if (!read.length) break;
        await c.changed(); // the oldest batch is at the worker
      }
      if (readFailure) throw readFailure;
    } finally {
      this.worker.postMessage({ t: 'end', id } satisfies ToWorker);
      this.checkings.delete(id);
      if (this.checkings.size === 0) this.worker.unref();
      if (!inputDone) await input.return?.(undefined);
    }
  }
}
