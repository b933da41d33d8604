import { loadDefinition, taskStates } from '../../../local/state-machine';
import { WORKFLOW_SUBSTITUTIONS } from '../../../functions/workflow/steps';

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
    let cur: string | undefined = def.States['Import, confirm, roll back or undo?'].Default;
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
      // a timeout means the Lambda was stopped at its limit: running it again would end the same way
      expect(r.ErrorEquals).not.toContain('States.Timeout');
    }
    // out of memory or a crash: one more try, not six
    expect(s.Retry.filter((r: any) => r.ErrorEquals.includes('Lambda.Unknown')).map((r: any) => r.MaxAttempts)).toEqual([1]);
  });

  const importSteps = ['Validate package', 'Import accounts', 'Import categories', 'Import file maps', 'Import transaction files', 'Import transactions', 'Complete import'];
  it.each(importSteps)('"%s" catches every error into the rollback path with its phase name', (name) => {
    expect(def.States[name].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: `Failed in: ${name}` }]);
    expect(def.States[`Failed in: ${name}`]).toMatchObject({ Type: 'Pass', Result: name, Next: 'Begin rollback' });
  });

  it.each(['Begin rollback', 'Begin rollback (requested)', 'Check writers', 'Roll back import', 'Finish rollback'])(
    'rollback state "%s" catches into Mark rollback failed, which cannot leave the execution hanging',
    (name) => {
      expect(def.States[name].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Mark rollback failed' }]);
      expect(def.States['Mark rollback failed'].Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Rollback failed' }]);
    },
  );

  it('rolls back, waits for writers, and loops until the rollback is done', () => {
    expect(def.States['Writers finished?'].Choices[0]).toMatchObject({ Variable: '$.writers.writersActive', Next: 'Wait for writers' });
    expect(def.States['Wait for writers']).toMatchObject({ Type: 'Wait', Next: 'Check writers' });
    expect(def.States['Rollback done?']).toMatchObject({ Default: 'Roll back import', Choices: [{ Next: 'Finish rollback' }] });
    expect(def.States['Import, confirm, roll back or undo?'].Choices.map((c: any) => c.Next)).toEqual(['Begin rollback (requested)', 'Begin rollback (requested)', 'Resume confirmed import']);
  });

  it('passes only ids and keys to tasks, never records', () => {
    for (const [, s] of states.filter(([, x]) => x.Type === 'Task')) {
      const keys = Object.keys(s.Parameters.Payload).map((k) => k.replace(/\.\$$/, ''));
      expect(keys.every((k) => ['importId', 'userId', 'bucket', 'packageKey', 'chunk', 'phase', 'error'].includes(k))).toBe(true);
      expect(Object.values(s.Parameters.Payload).every((v) => typeof v === 'string' && v.startsWith('$'))).toBe(true);
    }
  });

  it('names a Lambda substitution of the step table for every task, and uses every step', () => {
    expect([...new Set(taskStates().map((t) => t.substitution))].sort()).toEqual([...WORKFLOW_SUBSTITUTIONS].sort());
  });
});
