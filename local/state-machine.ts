/**
 * Runs statemachine/import.asl.json — the same file CDK deploys — with aws-local-stepfunctions,
 * its Task states calling the same handler functions the Lambdas run. Execution names are
 * unique like in Step Functions: starting a name twice gives the existing execution.
 *
 * With a state file, executions outlive the process like Step Functions' do: every start and
 * end is appended to it (JSON lines). An execution that was running when the process died
 * cannot go on (its tasks ran in that process); at the next start it ends ABORTED and its end
 * is delivered like any other (recover()), so the job it worked for is reconciled.
 */
import './polyfills';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExecutionAbortedError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import { ExecutionStatus, WorkflowInput as StartInput, WorkflowStarter, executionArnOf, executionInput } from '../functions/jobs/workflow-starter';

/** A workflow definition, found from the sources (local/) or the build (dist/local/). */
function aslPath(file: string): string {
  return [join(__dirname, '..', 'statemachine', file), join(__dirname, '..', '..', 'statemachine', file)].find((p) => existsSync(p)) ?? join(__dirname, '..', 'statemachine', file);
}

export const ASL_PATH = aslPath('import.asl.json');
export const EXPORT_ASL_PATH = aslPath('export.asl.json');

export type TaskFunction = (payload: any) => Promise<unknown>;

/** Substitution name (e.g. ValidateFunctionArn) -> the function behind it. */
export type TaskFunctions = Record<string, TaskFunction>;

interface AslState {
  Type: string;
  Parameters?: { FunctionName?: string };
  Retry?: unknown[];
  Seconds?: number;
  ItemProcessor?: { States: Record<string, AslState> };
}

export function loadDefinition(path = ASL_PATH): { States: Record<string, AslState> } & Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** Every Task state (Map iterations included) with the substitution its FunctionName names. */
export function taskStates(def = loadDefinition()): Array<{ state: string; substitution: string; retries: boolean }> {
  const out: Array<{ state: string; substitution: string; retries: boolean }> = [];
  const walk = (states: Record<string, AslState>) => {
    for (const [name, s] of Object.entries(states)) {
      const fn = s.Parameters?.FunctionName;
      if (s.Type === 'Task' && fn) out.push({ state: name, substitution: fn.replace(/^\$\{(.+)\}$/, '$1'), retries: !!s.Retry?.length });
      if (s.ItemProcessor) walk(s.ItemProcessor.States);
    }
  };
  walk(def.States);
  return out;
}

export interface ExecutionRecord {
  name: string;
  executionArn: string;
  input: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  startDate: Date;
  stopDate?: Date;
  output?: unknown;
  error?: { name: string; message: string };
  events: Array<Record<string, unknown>>;
  done: Promise<void>;
  /** StopExecution: the execution ends ABORTED (a running task's function still runs to its end, as a Lambda would). */
  abort(): void;
}

/** What EventBridge's "Step Functions Execution Status Change" event says of an execution's end. */
export interface ExecutionEndEvent {
  source: 'aws.states';
  'detail-type': 'Step Functions Execution Status Change';
  detail: { executionArn: string; stateMachineArn: string; name: string; status: ExecutionStatus; input: string; startDate: number; stopDate: number };
}

export interface LocalStateMachineOptions {
  stateMachineArn: string;
  /** The definition (statemachine/import.asl.json by default). */
  aslPath?: string;
  functions: TaskFunctions;
  /** Retry waits in ms (0 keeps tests fast); undefined: the definition's own backoff. */
  retryIntervalMs?: number;
  /** Wait states' waits in ms; undefined: the definition's own seconds. */
  waitMs?: number;
  /** The execution timeout in seconds (the definition's TimeoutSeconds by default). */
  executionTimeoutSeconds?: number;
  /** A timeout for some executions only (tests: time out an import, not its rollback). */
  executionTimeoutFor?: (name: string) => number | undefined;
  /** Called once per execution end, like the EventBridge rule on execution status changes. */
  onExecutionEnd?: (event: ExecutionEndEvent) => Promise<unknown> | void;
  /** JSON-lines file keeping executions across restarts (none: in memory only). */
  stateFile?: string;
}

/** What the state file keeps of an execution (one line per start and per end; the last line of a name wins). */
interface StoredExecution {
  name: string;
  executionArn: string;
  input: string;
  status: ExecutionRecord['status'];
  startDate: number;
  stopDate?: number;
  error?: { name: string; message: string };
}

export class LocalStateMachine implements WorkflowStarter {
  readonly executions = new Map<string, ExecutionRecord>();
  private readonly machine: StateMachine;
  private readonly definitionText: string;
  private readonly handlers: Record<string, (input: any) => Promise<unknown>>;
  private readonly retryOverrides: Record<string, number>;
  private readonly waitOverrides: Record<string, number> = {};
  /** Execution ends still being reported (tests wait for them too). */
  private readonly reporting = new Set<Promise<unknown>>();
  /** Executions the previous process left running: ended ABORTED, their ends not yet delivered. */
  private readonly interrupted: ExecutionRecord[] = [];

  constructor(private readonly opts: LocalStateMachineOptions) {
    const def = loadDefinition(opts.aslPath);
    if (opts.executionTimeoutSeconds !== undefined) def.TimeoutSeconds = opts.executionTimeoutSeconds;
    // Substitutions become placeholder ARNs; the Task states run local functions instead.
    const text = JSON.stringify(def).replace(/\$\{(\w+)\}/g, (_m, n: string) => `arn:aws:lambda:us-east-1:000000000000:function:${n}`);
    this.definitionText = text;
    this.machine = new StateMachine(JSON.parse(text), { validationOptions: { checkArn: false } });
    this.handlers = {};
    this.retryOverrides = {};
    if (opts.waitMs !== undefined) for (const [name, st] of Object.entries(def.States)) if (st.Type === 'Wait') this.waitOverrides[name] = opts.waitMs;
    for (const t of taskStates(def)) {
      const fn = opts.functions[t.substitution];
      if (!fn) throw new Error(`no local function for ${t.substitution} (state "${t.state}")`);
      // Mimic lambda:invoke: the Parameters come in, { Payload } goes out.
      this.handlers[t.state] = async (input: { Payload: unknown }) => ({ Payload: (await fn(input.Payload)) ?? null });
      if (opts.retryIntervalMs !== undefined && t.retries) this.retryOverrides[t.state] = opts.retryIntervalMs;
    }
    if (opts.stateFile) this.load(opts.stateFile);
  }

  /** Reads the executions of earlier processes; the ones still running then end ABORTED now. */
  private load(file: string): void {
    if (!existsSync(file)) return;
    const last = new Map<string, StoredExecution>();
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const e = JSON.parse(line) as StoredExecution;
        if (typeof e.name === 'string') last.set(e.name, e);
      } catch {
        // a line cut short by the crash: the start or end it was is lost, the others stand
      }
    }
    for (const e of last.values()) {
      const record: ExecutionRecord = {
        name: e.name,
        executionArn: e.executionArn,
        input: e.input,
        status: e.status,
        startDate: new Date(e.startDate),
        stopDate: e.stopDate === undefined ? undefined : new Date(e.stopDate),
        error: e.error,
        events: [],
        done: Promise.resolve(),
        abort: () => undefined,
      };
      if (record.status === 'RUNNING') {
        record.status = 'ABORTED';
        record.stopDate = new Date();
        record.error = { name: 'States.Aborted', message: 'the local stack stopped while the execution ran' };
        this.persist(record);
        this.interrupted.push(record);
      }
      this.executions.set(e.name, record);
    }
  }

  private persist(record: ExecutionRecord): void {
    if (!this.opts.stateFile) return;
    const stored: StoredExecution = {
      name: record.name,
      executionArn: record.executionArn,
      input: record.input,
      status: record.status,
      startDate: record.startDate.getTime(),
      stopDate: record.stopDate?.getTime(),
      error: record.error,
    };
    appendFileSync(this.opts.stateFile, JSON.stringify(stored) + '\n');
  }

  /** Delivers the ends of the executions an earlier process left running (each once). Returns how many. */
  async recover(): Promise<number> {
    const ended = this.interrupted.splice(0);
    for (const record of ended) await this.reportEnd(record);
    return ended.length;
  }

  get stateMachineArn(): string {
    return this.opts.stateMachineArn;
  }

  /** StartExecution semantics: a name is used once; starting it again returns the same execution. */
  startExecution(name: string, input: string): ExecutionRecord {
    const existing = this.executions.get(name);
    if (existing) return existing;
    const timeout = this.opts.executionTimeoutFor?.(name);
    const machine =
      timeout === undefined
        ? this.machine
        : new StateMachine({ ...JSON.parse(this.definitionText), TimeoutSeconds: timeout }, { validationOptions: { checkArn: false } });
    const run = machine.run(JSON.parse(input), {
      overrides: { taskResourceLocalHandlers: this.handlers as never, retryIntervalOverrides: this.retryOverrides, waitTimeOverrides: this.waitOverrides },
    });
    const record: ExecutionRecord = {
      name,
      executionArn: executionArnOf(this.opts.stateMachineArn, name),
      input,
      status: 'RUNNING',
      startDate: new Date(),
      events: [],
      done: Promise.resolve(),
      abort: () => run.abort(),
    };
    const collect = (async () => {
      for await (const e of run.eventLogs) record.events.push(e as unknown as Record<string, unknown>);
    })().catch(() => undefined);
    record.done = run.result.then(
      async (output) => {
        await collect;
        record.status = 'SUCCEEDED';
        record.output = output;
        record.stopDate = new Date();
      },
      async (err: Error & { cause?: { name?: string; message?: string } }) => {
        await collect;
        record.status = err instanceof ExecutionAbortedError ? 'ABORTED' : err instanceof ExecutionTimeoutError ? 'TIMED_OUT' : 'FAILED';
        record.error =
          record.status === 'FAILED'
            ? { name: err.cause?.name ?? err.name, message: err.cause?.message ?? err.message }
            : { name: record.status === 'ABORTED' ? 'States.Aborted' : 'States.Timeout', message: `execution ${record.status}` };
        record.stopDate = new Date();
      },
    )
      .then(() => this.persist(record))
      .then(() => this.reportEnd(record));
    this.executions.set(name, record);
    this.persist(record);
    return record;
  }

  /** Delivers the end of an execution to the listener (EventBridge's role), once. */
  private async reportEnd(record: ExecutionRecord): Promise<void> {
    if (!this.opts.onExecutionEnd) return;
    const event: ExecutionEndEvent = {
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: {
        executionArn: record.executionArn,
        stateMachineArn: this.opts.stateMachineArn,
        name: record.name,
        status: record.status as ExecutionStatus,
        input: record.input,
        startDate: record.startDate.getTime(),
        stopDate: (record.stopDate ?? new Date()).getTime(),
      },
    };
    const p = Promise.resolve()
      .then(() => this.opts.onExecutionEnd?.(event))
      .catch(() => undefined);
    this.reporting.add(p);
    await p;
    this.reporting.delete(p);
  }

  async start(name: string, input: StartInput): Promise<string> {
    return this.startExecution(name, executionInput(input)).executionArn;
  }

  async status(name: string): Promise<ExecutionStatus | undefined> {
    return this.executions.get(name)?.status;
  }

  /** StopExecution. */
  stop(name: string): void {
    this.executions.get(name)?.abort();
  }

  /** Waits until every execution started so far (and any it led to) has ended and been reported. */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.executions.values()].filter((e) => e.status === 'RUNNING');
      if (!pending.length && !this.reporting.size) return;
      await Promise.all([...pending.map((e) => e.done), ...this.reporting]);
    }
  }
}
