/**
 * A local Step Functions endpoint: the AWS JSON 1.0 protocol for the operations our code and
 * CLI use (StartExecution, StopExecution, DescribeExecution, ListExecutions, GetExecutionHistory), backed by
 * LocalStateMachine. So the starter and the CLI talk to it with the real SFNClient, configured
 * only by endpoint.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { ExecutionRecord, LocalStateMachine } from './state-machine';

class SfnError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

// Step Functions' execution name rule: no whitespace, brackets, wildcards, punctuation or control characters.
// eslint-disable-next-line no-control-regex
const NAME_RE = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

function seconds(d: Date | undefined): number | undefined {
  return d ? d.getTime() / 1000 : undefined;
}

/** What ListExecutions says of an execution. */
function summary(machine: LocalStateMachine, e: ExecutionRecord): Record<string, unknown> {
  return {
    executionArn: e.executionArn,
    stateMachineArn: machine.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: seconds(e.startDate),
    stopDate: seconds(e.stopDate),
  };
}

/** What DescribeExecution says: the summary, input, and output or error. */
function describe(machine: LocalStateMachine, e: ExecutionRecord): Record<string, unknown> {
  return {
    ...summary(machine, e),
    input: e.input,
    ...(e.status === 'SUCCEEDED' ? { output: JSON.stringify(e.output ?? null) } : {}),
    ...(e.error ? { error: e.error.name, cause: e.error.message } : {}),
  };
}

/** aws-local-stepfunctions' event log as Step Functions history events (no state input/output: ids only). */
export function historyEvents(e: ExecutionRecord): Array<Record<string, unknown>> {
  return e.events.map((ev, i) => {
    const state = ev.state as { name?: string; type?: string } | undefined;
    const base = { id: i + 1, previousEventId: i, timestamp: ((ev.timestamp as number) ?? Date.now()) / 1000 };
    const type = String(ev.type);
    switch (type) {
      case 'ExecutionStarted':
      case 'ExecutionSucceeded':
        return { ...base, type };
      case 'ExecutionFailed':
        return { ...base, type, executionFailedEventDetails: { error: ev.Error, cause: ev.Cause } };
      case 'StateEntered':
        return { ...base, type: `${state?.type ?? ''}StateEntered`, stateEnteredEventDetails: { name: state?.name } };
      case 'StateExited':
        return { ...base, type: `${state?.type ?? ''}StateExited`, stateExitedEventDetails: { name: state?.name } };
      case 'StateFailed':
        return { ...base, type: 'TaskFailed', taskFailedEventDetails: { resourceType: 'lambda', resource: state?.name, error: ev.Error, cause: ev.Cause } };
      case 'StateRetried': {
        const retry = ev.retry as { attempt?: number } | undefined;
        return { ...base, type: 'TaskRetried', taskRetriedEventDetails: { name: state?.name, attempt: retry?.attempt } };
      }
      case 'StateCaught':
        return { ...base, type: 'TaskCaught', taskCaughtEventDetails: { name: state?.name } };
      default:
        return { ...base, type, details: { name: state?.name, index: ev.index } };
    }
  });
}

function handle(machines: LocalStateMachine[], op: string, body: Record<string, any>): unknown {
  const byArn = (arn: unknown): ExecutionRecord => {
    for (const m of machines) {
      const e = [...m.executions.values()].find((x) => x.executionArn === arn);
      if (e) return e;
    }
    throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
  };
  const machineOf = (arn: unknown): LocalStateMachine => {
    const m = machines.find((x) => x.stateMachineArn === arn);
    if (!m) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`);
    return m;
  };
  const ownerOf = (e: ExecutionRecord) => machines.find((m) => m.executions.get(e.name) === e) as LocalStateMachine;
  switch (op) {
    case 'StartExecution': {
      const machine = machineOf(body.stateMachineArn);
      const name = String(body.name ?? '');
      if (!NAME_RE.test(name)) throw new SfnError('InvalidName', `Invalid Name: '${name}'`);
      const input = typeof body.input === 'string' ? body.input : '{}';
      const existing = machine.executions.get(name);
      if (existing && (existing.status !== 'RUNNING' || existing.input !== input)) {
        throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
      }
      const e = machine.startExecution(name, input);
      return { executionArn: e.executionArn, startDate: seconds(e.startDate) };
    }
    case 'StopExecution': {
      const e = byArn(body.executionArn);
      e.abort();
      return { stopDate: Date.now() / 1000 };
    }
    case 'DescribeExecution': {
      const e = byArn(body.executionArn);
      return describe(ownerOf(e), e);
    }
    case 'ListExecutions': {
      const machine = machineOf(body.stateMachineArn);
      const list = [...machine.executions.values()]
        .filter((e) => !body.statusFilter || e.status === body.statusFilter)
        .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
      return {
        executions: list.slice(0, body.maxResults || 100).map((e) => summary(machine, e)),
      };
    }
    case 'GetExecutionHistory': {
      const events = historyEvents(byArn(body.executionArn));
      return { events: body.reverseOrder ? events.reverse() : events };
    }
    default:
      throw new SfnError('UnknownOperationException', `${op} is not supported by the local Step Functions endpoint`);
  }
}

export async function startSfnEndpoint(machine: LocalStateMachine | LocalStateMachine[], port = 0): Promise<{ url: string; server: Server; stop(): Promise<void> }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.replace(/^AWSStepFunctions\./, '');
      let status = 200;
      let payload: unknown;
      try {
        payload = handle(Array.isArray(machine) ? machine : [machine], op, chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {});
      } catch (err) {
        status = 400;
        payload = err instanceof SfnError ? { __type: err.type, message: err.message } : { __type: 'ValidationException', message: (err as Error).message };
      }
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(payload));
    });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
