/** statemachine/import.asl.json is generated from its source (one retry policy, written once). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expandAsl } from '../../../scripts/generate-asl';

const root = join(__dirname, '../../..');

describe('statemachine/import.asl.json', () => {
  it('is up to date with import.asl.source.json (run npm run gen:asl)', () => {
    const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/generate-asl.ts', '--check'], { cwd: root, encoding: 'utf8' });
    expect(out).toContain('up to date');
  });

  it('writes the retry policy once in the source, and every Task of the output carries it', () => {
    const source = readFileSync(join(root, 'statemachine/import.asl.source.json'), 'utf8');
    expect(source.match(/"Lambda.ServiceException"/g)).toHaveLength(1);
    const def = JSON.parse(readFileSync(join(root, 'statemachine/import.asl.json'), 'utf8'));
    const policy = JSON.parse(source).$retryPolicies.lambda;
    const tasks: Array<{ Retry?: unknown }> = [];
    const walk = (states: Record<string, { Type: string; Retry?: unknown; ItemProcessor?: { States: Record<string, never> } }>) => {
      for (const s of Object.values(states)) {
        if (s.Type === 'Task') tasks.push(s);
        if (s.ItemProcessor) walk(s.ItemProcessor.States);
      }
    };
    walk(def.States);
    expect(tasks.length).toBeGreaterThan(10);
    for (const t of tasks) expect(t.Retry).toEqual(policy);
  });

  it('refuses a policy it does not know, and one never used', () => {
    expect(() => expandAsl({ $retryPolicies: {}, States: { A: { Retry: { $policy: 'nope' } } } })).toThrow(/no retry policy named nope/);
    expect(() => expandAsl({ $retryPolicies: { spare: [] }, States: {} })).toThrow(/never used: spare/);
  });
});
