import { DescribeExecutionCommand, ExecutionAlreadyExists, GetExecutionHistoryCommand, ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { LocalStateMachine } from '../../local/state-machine';
import { startSfnEndpoint } from '../../local/sfn-endpoint';
import { LOCAL_AWS } from '../../local/servers';
import { WORKFLOW_SUBSTITUTIONS } from '../../functions/workflow/steps';

const ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:fzip-import';

/** The local Step Functions endpoint through the real SDK client, with stand-in task functions. */
describe('local Step Functions endpoint', () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const noop = async () => undefined;
  const machine = new LocalStateMachine({
    stateMachineArn: ARN,
    functions: {
      ...Object.fromEntries(WORKFLOW_SUBSTITUTIONS.map((s) => [s, noop])),
      ValidateFunctionArn: async () => {
        await gate;
        return { valid: false, validateOnly: false, awaitConfirmation: false, writesNothing: false, transactionChunks: [], mapConcurrency: 4 };
      },
    },
  });
  let endpoint: Awaited<ReturnType<typeof startSfnEndpoint>>;
  let sfn: SFNClient;
  beforeAll(async () => {
    endpoint = await startSfnEndpoint(machine);
    sfn = new SFNClient({ ...LOCAL_AWS, endpoint: endpoint.url });
  });
  afterAll(async () => {
    sfn.destroy();
    await endpoint.stop();
  });

  it('starts, describes, lists and reports the history of executions with Step Functions semantics', async () => {
    const input = JSON.stringify({ importId: 'i1', userId: 'u', bucket: 'b', packageKey: 'k' });
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'i1', input }));
    // same name and input while running: the same execution
    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'i1', input }));
    expect(again.executionArn).toBe(first.executionArn);
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'i1', input: '{}' }))).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }))).status).toBe('RUNNING');
    release();
    await machine.idle();
    const done = await sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
    expect(done).toMatchObject({ status: 'FAILED', error: 'PackageInvalid', name: 'i1' });
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: ARN, name: 'i1', input }))).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    const list = await sfn.send(new ListExecutionsCommand({ stateMachineArn: ARN }));
    expect(list.executions?.map((e) => [e.name, e.status])).toEqual([['i1', 'FAILED']]);
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: first.executionArn }));
    const types = history.events?.map((e) => e.type);
    expect(types?.[0]).toBe('ExecutionStarted');
    expect(types).toEqual(expect.arrayContaining(['TaskStateEntered', 'ChoiceStateEntered', 'ExecutionFailed']));
    expect(JSON.stringify(history)).not.toContain('packageKey');
  });
});
