/**
 * The crash test in CI: a few seeded kill points (one per scenario) of the whole local stack
 * during import, overwrite, cancel, undo and replace; after each restart every job ends and the user's
 * data is exactly the before or the after state. Many more points by hand: npm run crash.
 */
import { runCrashTest } from '../crash/harness';

jest.setTimeout(20 * 60_000);

it('kill -9 of the local stack at seeded points: every job ends, data equals before or after', async () => {
  const lines: string[] = [];
  const results = await runCrashTest({ points: 5, transactions: 1500, seed: 20261207, recoveryMs: 120_000, log: (l) => lines.push(l) });
  // the report, so a failure says which point and what the jobs did
  expect(results.filter((r) => r.state === 'between')).toEqual([]);
  expect(results).toHaveLength(5);
  for (const r of results) expect(r.finalStatuses.every((s) => !['validating', 'processing', 'canceling', 'rolling_back', 'undoing', 'queued'].includes(s))).toBe(true);
});
