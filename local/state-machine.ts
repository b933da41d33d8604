/**
 * Runs statemachine/import.asl.json — the same file CDK deploys — with aws-local-stepfunctions,
 * its Task states calling the same handler functions the Lambdas run. Execution names are
 * unique like in Step Functions: starting a name twice gives the existing execution.
 */
import './polyfills';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { WorkflowInput as StartInput, WorkflowStarter, executionArnOf } from '../functions/jobs/workflow-starter';

/** The one workflow definition, found from the sources (local/) or the build (dist/local/). */
export const ASL_PATH =
  [join(__dirname, '..', 'statemachine', 'import.asl.json'), join(__dirname, '..', '..', 'statemachine', 'import.asl.json')].find((p) =>
    existsSync(p),
  ) ?? join(__dirname, '..', 'statemachine', 'import.asl.json');

export type TaskFunction = (payload: any) => Promise<unknown>;

/** Substitution name (e.g. ValidateFunctionArn) -> the function behind it. */
export type TaskFunctions = Record<string, TaskFunction>;

interface AslState {
  Type: string;
  Parameters?: { FunctionName?: string };
  Retry?: unknown[];
  ItemProcessor?: { States: Record<string, AslState> };
}

export function loadDefinition(): { States: Record<string, AslState> } & Record<string, unknown> {
  return JSON.parse(readFileSync(ASL_PATH, 'utf8'));
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
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  startDate: Date;
  stopDate?: Date;
  output?: unknown;
  error?: { name: string; message: string };
  events: Array<Record<string, unknown>>;
  done: Promise<void>;
}

export interface LocalStateMachineOptions {
  stateMachineArn: string;
  functions: TaskFunctions;
  /** Retry waits in ms (0 keeps tests fast); undefined: the definition's own backoff. */
  retryIntervalMs?: number;
}

export class LocalStateMachine implements WorkflowStarter {
  readonly executions = new Map<string, ExecutionRecord>();
  private readonly machine: StateMachine;
  private readonly handlers: Record<string, (input: any) => Promise<unknown>>;
  private readonly retryOverrides: Record<string, number>;

  constructor(private readonly opts: LocalStateMachineOptions) {
    const def = loadDefinition();
    // Substitutions become placeholder ARNs; the Task states run local functions instead.
    const text = JSON.stringify(def).replace(/\$\{(\w+)\}/g, (_m, n: string) => `arn:aws:lambda:us-east-1:000000000000:function:${n}`);
    this.machine = new StateMachine(JSON.parse(text), { validationOptions: { checkArn: false } });
    this.handlers = {};
    this.retryOverrides = {};
    for (const t of taskStates(def)) {
      const fn = opts.functions[t.substitution];
      if (!fn) throw new Error(`no local function for ${t.substitution} (state "${t.state}")`);
      // Mimic lambda:invoke: the Parameters come in, { Payload } goes out.
      this.handlers[t.state] = async (input: { Payload: unknown }) => ({ Payload: (await fn(input.Payload)) ?? null });
      if (opts.retryIntervalMs !== undefined && t.retries) this.retryOverrides[t.state] = opts.retryIntervalMs;
    }
  }

  get stateMachineArn(): string {
    return this.opts.stateMachineArn;
  }

  /** StartExecution semantics: a name is used once; starting it again returns the same execution. */
  startExecution(name: string, input: string): ExecutionRecord {
    const existing = this.executions.get(name);
    if (existing) return existing;
    const run = this.machine.run(JSON.parse(input), {
      overrides: { taskResourceLocalHandlers: this.handlers as never, retryIntervalOverrides: this.retryOverrides },
    });
    const record: ExecutionRecord = {
      name,
      executionArn: executionArnOf(this.opts.stateMachineArn, name),
      input,
      status: 'RUNNING',
      startDate: new Date(),
      events: [],
      done: Promise.resolve(),
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
        record.status = 'FAILED';
        record.error = { name: err.cause?.name ?? err.name, message: err.cause?.message ?? err.message };
        record.stopDate = new Date();
      },
    );
    this.executions.set(name, record);
    return record;
  }

  async start(input: StartInput): Promise<string> {
    const body = JSON.stringify({ importId: input.importId, userId: input.userId, bucket: input.bucket, packageKey: input.packageKey });
    return this.startExecution(input.importId, body).executionArn;
  }

  /** Waits until every execution started so far has ended. */
  async idle(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done));
  }
}
