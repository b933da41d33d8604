import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, Io } from '../../../cli/fzip';
import { housef3Data, housef3Package } from '../../helpers/housef3-package';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (s) => stdout.push(s), err: (s) => stderr.push(s) };
}

const dir = mkdtempSync(join(tmpdir(), 'fzip-cli-'));

describe('fzip validate / inspect / generate', () => {
  const good = join(dir, 'good.fzip');
  const bad = join(dir, 'bad.fzip');
  beforeAll(() => {
    writeFileSync(good, housef3Package());
    const data = housef3Data();
    data.transactions[1].accountId = 'a0000000-0000-4000-8000-0000000000ff';
    writeFileSync(bad, housef3Package({ data }));
  });

  it('exits 0 for a valid package and prints counts', async () => {
    const io = capture();
    expect(await main(['validate', good], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/good\.fzip: VALID \(fzip/);
    expect(io.stdout.join('\n')).toContain('2 transactions; bytes for 1 statement file');
  });

  it('exits 1 for an invalid package and names file, record, field and code', async () => {
    const io = capture();
    expect(await main(['validate', bad], io)).toBe(1);
    const text = io.stdout.join('\n');
    expect(text).toContain('INVALID');
    expect(text).toContain('[UNKNOWN_REFERENCE] data/transactions.json.gz#1');
    expect(text).toContain('field /accountId');
  });

  it('prints the report as JSON with --json', async () => {
    const io = capture();
    expect(await main(['validate', bad, '--json'], io)).toBe(1);
    const report = JSON.parse(io.stdout.join('\n'));
    expect(report).toMatchObject({ valid: false, errorCount: 1, errors: [{ code: 'UNKNOWN_REFERENCE', index: 1, field: '/accountId' }] });
  });

  it('exits 2 on a missing file or bad usage', async () => {
    for (const args of [['validate', join(dir, 'nope.fzip')], ['validate'], ['frobnicate'], ['validate', good, '--format', 'xml'], ['generate', '-o', 'x']]) {
      const io = capture();
      expect(await main(args, io)).toBe(2);
      expect(io.stderr.join('\n')).toMatch(/^fzip: /);
    }
  });

  it('inspects the manifest and counts', async () => {
    const io = capture();
    expect(await main(['inspect', good, '--json'], io)).toBe(0);
    expect(JSON.parse(io.stdout.join('\n'))).toMatchObject({
      format: 'fzip',
      manifest: { formatVersion: '1.0', housef3Version: '2.5.0' },
      counts: { transactions: 2, statementFiles: 1 },
      valid: true,
    });
  });

  it('generates a valid, deterministic package', async () => {
    const a = join(dir, 'gen-a.fzip');
    const b = join(dir, 'gen-b.fzip');
    const io = capture();
    expect(await main(['generate', '--transactions', '300', '--accounts', '2', '--files', '4', '--seed', '9', '-o', a], io)).toBe(0);
    expect(io.stdout[0]).toContain('300 transactions');
    await main(['generate', '--transactions', '300', '--accounts', '2', '--files', '4', '--seed', '9', '-o', b], capture());
    const check = capture();
    expect(await main(['validate', a, '--json'], check)).toBe(0);
    expect(JSON.parse(check.stdout.join('\n')).counts).toMatchObject({ accounts: 2, transactionFiles: 4, transactions: 300, statementFiles: 4 });
    const inspectA = capture();
    const inspectB = capture();
    await main(['inspect', a, '--json'], inspectA);
    await main(['inspect', b, '--json'], inspectB);
    expect(JSON.parse(inspectA.stdout.join('')).manifest).toEqual(JSON.parse(inspectB.stdout.join('')).manifest);
  });
});

describe('fzip --help', () => {
  const run = async (args: string[]) => {
    const lines: string[] = [];
    const code = await main(args, { out: (s) => lines.push(s), err: (s) => lines.push(s) });
    return { code, text: lines.join('\n') };
  };

  it('prints the usage with the exit codes', async () => {
    const { code, text } = await run(['--help']);
    expect(code).toBe(0);
    expect(text).toContain('fzip import <file>');
    expect(text).toContain('Exit codes: 0 success');
  });

  it.each(['import', 'validate', 'export', 'undo', 'confirm'])('prints only "%s" for fzip %s --help', async (command) => {
    const { code, text } = await run([command, '--help']);
    expect(code).toBe(0);
    expect(text).toContain(`fzip ${command}`);
    expect(text.split('\n').filter((l) => /^ {2}fzip /.test(l))).toHaveLength(1);
    expect(text).toContain('Exit codes');
  });

  it('still refuses an unknown option with exit code 2', async () => {
    expect((await run(['validate', 'x.fzip', '--nope'])).code).toBe(2);
  });
});
