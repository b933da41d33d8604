/**
 * npm run crash -- [--points N] [--transactions N] [--seed S] [--scenarios import,overwrite,cancel,undo] [--json]
 * Kills the local stack at seeded random points of imports, overwrites, cancels and undos,
 * restarts it, and checks every job ends and the data is the before or the after state.
 * Exit 0 only when every point ended with the data "before" or "after".
 */
import '../../local/polyfills';
import { parseArgs } from 'node:util';
import { runCrashTest, Scenario, SCENARIOS } from './harness';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      points: { type: 'string', default: '8' },
      transactions: { type: 'string', default: '2000' },
      seed: { type: 'string', default: String(Date.now() % 100000) },
      scenarios: { type: 'string', default: SCENARIOS.join(',') },
      json: { type: 'boolean', default: false },
    },
  });
  const scenarios = (values.scenarios as string).split(',') as Scenario[];
  for (const s of scenarios) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s} (${SCENARIOS.join(', ')})`);
  const opts = { points: Number(values.points), transactions: Number(values.transactions), seed: Number(values.seed), scenarios };
  console.error(`crash test: ${opts.points} points, ${opts.transactions} transactions, seed ${opts.seed}`);
  const results = await runCrashTest({ ...opts, log: (l) => console.error(l) });
  if (values.json) console.log(JSON.stringify(results, null, 2));
  const between = results.filter((r) => r.state === 'between');
  const slowest = Math.max(...results.map((r) => r.recoveredInMs));
  const count = (s: string) => results.filter((r) => r.state === s).length;
  console.error(`${results.length} points: ${count('before')} before, ${count('after')} after, ${between.length} between; slowest recovery ${slowest} ms`);
  return between.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`crash test failed: ${(err as Error).stack ?? err}`);
    process.exit(2);
  },
);
