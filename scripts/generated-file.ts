/**
 * The one way the generators write their output: with `--check` they only compare, print
 * "<what> is up to date" or exit 1 saying how to regenerate (the tests run every generator so).
 */
import { readFileSync, writeFileSync } from 'node:fs';

export function writeOrCheck(target: string, text: string, what: string, command: string): void {
  if (process.argv.includes('--check')) {
    let now: string | undefined;
    try {
      now = readFileSync(target, 'utf8');
    } catch {
      now = undefined;
    }
    if (now !== text) {
      console.error(`${what} is stale: run ${command}`);
      process.exit(1);
    }
    console.log(`${what} is up to date`);
    return;
  }
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
