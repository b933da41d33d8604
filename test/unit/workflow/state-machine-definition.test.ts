import { loadDefinition, taskStates } from '../../../local/state-machine';

/** Rules every state of statemachine/import.asl.json must follow (a lint over the real file). */
const def = loadDefinition() as { States: Record<string, any>; TimeoutSeconds?: number };

function allStates(states: Record<string, any>): Array<[string, any]> {
  return Object.entries(states).flatMap(([n, s]) => [[n, s] as [string, any], ...(s.ItemProcessor ? allStates(s.ItemProcessor.States) : [])]);
}

describe('statemachine/import.asl.json', () => {
  const states = allStates(def.States);

  it('is plain JSONPath ASL with an execution timeout', () => {
    expect(JSON.stringify(def)).not.toContain('JSONata');
    expect(def.TimeoutSeconds).toBeGreaterThan(0);
  });

  it('runs the phases in dependency order', () => {
    const order: string[] = [];
    let cur: string | undefined = 'Validate package';
    while (cur && order.length < 20) {
      order.push(cur);
      const s: any = def.States[cur];
      cur = s.Type === 'Choice' ? s.Default : s.Next;
    }
    expect(order).toEqual([
      'Validate package', 'Package valid?', 'Import accounts', 'Import categories', 'Import file maps',
      'Import transaction files', 'Import transactions', 'Complete import', 'Import completed',
    ]);
  });

  it.each(states.filter(([, s]) => s.Type === 'Task'))('task "%s" has a timeout and retries transient errors with full jitter', (_n, s) => {
    expect(s.TimeoutSeconds).toBeGreaterThan(0);
    const transient = s.Retry.find((r: any) => r.ErrorEquals.includes('Lambda.ServiceException'));
    expect(transient).toMatchObject({ JitterStrategy: 'FULL', MaxDelaySeconds: expect.any(Number), BackoffRate: 2 });
    expect(s.Retry.some((r: any) => r.ErrorEquals.includes('Lambda.TooManyRequestsException'))).toBe(true);
    for (const r of s.Retry) {
      expect(r.ErrorEquals).not.toContain('States.ALL');
      expect(r.ErrorEquals).not.toContain('ImportStateError');
    }
  });

  it.each(Object.entries(def.States).filter(([n, s]) => (s.Type === 'Task' || s.Type === 'Map') && n !== 'Mark import failed'))(
    '"%s" catches every error into the failure path with its phase name',
    (name, s) => {
      expect(s.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `Failed in: ${name}` }]);
      expect(def.States[`Failed in: ${name}`]).toMatchObject({ Type: 'Pass', Result: name, Next: 'Mark import failed' });
    },
  );

  it('passes only ids and keys to tasks, never records', () => {
    for (const [, s] of states.filter(([, x]) => x.Type === 'Task')) {
      const keys = Object.keys(s.Parameters.Payload).map((k) => k.replace(/\.\$$/, ''));
      expect(keys.every((k) => ['importId', 'userId', 'bucket', 'packageKey', 'chunk', 'phase', 'error'].includes(k))).toBe(true);
    }
  });

  it('names a Lambda substitution for every task', () => {
    expect(taskStates().map((t) => t.substitution).sort()).toEqual([
      'CompleteFunctionArn', 'FailFunctionArn', 'ImportAccountsFunctionArn', 'ImportCategoriesFunctionArn', 'ImportFileMapsFunctionArn',
      'ImportTransactionFilesFunctionArn', 'ImportTransactionsFunctionArn', 'ValidateFunctionArn',
    ]);
  });
});
