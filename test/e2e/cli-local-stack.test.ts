import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalStack, startLocalStack } from '../../local/stack';
import { main, Io } from '../../cli/fzip';
import { housef3Data, housef3Package } from '../helpers/housef3-package';

/** The fzip client against the embedded local stack, over HTTP, as a user runs it. */
let stack: LocalStack;
let auth: string[];
const dir = mkdtempSync(join(tmpdir(), 'fzip-e2e-'));

function capture(): Io & { text: () => string } {
  const lines: string[] = [];
  return { out: (s) => lines.push(s), err: (s) => lines.push(s), text: () => lines.join('\n') };
}

beforeAll(async () => {
  stack = await startLocalStack({ apiPort: 0, cleanupIntervalSeconds: 0 });
  auth = ['--api', stack.apiUrl, '--token', stack.issuer.sign('e2e-user'), '--state-machine', stack.machine.stateMachineArn];
});
afterAll(() => stack.stop());

describe('fzip CLI against the local stack', () => {
  it('imports a package (S3 event path), shows status and history, then deletes it', async () => {
    const file = join(dir, 'good.fzip');
    writeFileSync(file, housef3Package());
    const imp = capture();
    expect(await main(['import', file, '--interval', '100', ...auth], imp)).toBe(0);
    // whichever statuses polling happened to see, they come in the workflow's order and end completed
    const seen = [...imp.text().matchAll(/status: (\w+)/g)].map((m) => m[1]);
    const order = ['uploaded', 'queued', 'validating', 'validation_passed', 'processing', 'completed'];
    expect(seen[seen.length - 1]).toBe('completed');
    expect(seen.map((st) => order.indexOf(st))).toEqual([...seen.map((st) => order.indexOf(st))].sort((a, b) => a - b));
    expect(imp.text()).toMatch(/transactions\s+2\s+0\s+0\s+0/);
    const id = /import ([0-9a-f-]{36}):/.exec(imp.text())![1];

    const status = capture();
    expect(await main(['status', id, '--json', ...auth], status)).toBe(0);
    expect(JSON.parse(status.text())).toMatchObject({ importId: id, status: 'completed', progress: 100, executionName: id });
    expect(status.text()).not.toMatch(/arn:aws/);

    const history = capture();
    expect(await main(['history', id, ...auth], history)).toBe(0);
    const names = ['Validate package', 'Import accounts', 'Import categories', 'Import file maps', 'Import transaction files', 'Import transactions chunk', 'Complete import'];
    for (const n of names) expect(history.text()).toContain(n);
    expect(history.text()).toContain('ExecutionSucceeded');

    const jobs = capture();
    expect(await main(['jobs', '--json', ...auth.slice(0, 4)], jobs)).toBe(0);
    expect(JSON.parse(jobs.text()).importJobs.map((j: { importId: string }) => j.importId)).toContain(id);

    const del = capture();
    expect(await main(['delete', id, ...auth], del)).toBe(0);
    const gone = capture();
    expect(await main(['status', id, ...auth], gone)).toBe(2);
    expect(gone.text()).toContain('HTTP 404');
  });

  it('exits 1 and lists the errors when the package is invalid', async () => {
    const data = housef3Data();
    data.transactions[0].amount = 'twelve';
    const file = join(dir, 'bad.fzip');
    writeFileSync(file, housef3Package({ data }));
    const out = capture();
    expect(await main(['import', file, '--interval', '100', ...auth], out)).toBe(1);
    expect(out.text()).toContain('validation_failed');
    expect(out.text()).toContain('[SCHEMA_VIOLATION] data/transactions.json.gz#0 /amount');
  });

  it('validates only, and reports the plan (this user already has these records: unchanged)', async () => {
    const file = join(dir, 'good2.fzip');
    writeFileSync(file, housef3Package());
    const own = ['--api', stack.apiUrl, '--token', stack.issuer.sign(`plan-${Date.now()}`)];
    expect(await main(['import', file, '--interval', '100', ...own], capture())).toBe(0);
    const out = capture();
    expect(await main(['import', file, '--validate-only', '--strategy', 'skip_existing', '--json', '--interval', '100', ...own], out)).toBe(0);
    expect(JSON.parse(out.text())).toMatchObject({
      status: 'validation_passed',
      validateOnly: true,
      importResults: null,
      validationResults: { plan: { transactions: { create: 0, unchanged: 2, conflicts: 0, overwrite: 0, skip: 0 } } },
    });
  });

  it('previews a re-import (a transaction and an account differ), lists the conflicts, confirms with --yes; events are put on the bus', async () => {
    const user = `preview-${Date.now()}`;
    const who = ['--api', stack.apiUrl, '--token', stack.issuer.sign(user)];
    const data = housef3Data();
    const first = join(dir, 'p1.fzip');
    writeFileSync(first, housef3Package({ data }));
    expect(await main(['import', first, '--strategy', 'overwrite', '--interval', '100', ...who], capture())).toBe(0);
    data.transactions[0].amount = '-99.99';
    data.accounts[1].accountName = 'Renamed';
    const second = join(dir, 'p2.fzip');
    writeFileSync(second, housef3Package({ data }));
    const out = capture();
    expect(await main(['import', second, '--preview', '--yes', '--strategy', 'overwrite', '--interval', '100', ...who], out)).toBe(0);
    expect(out.text()).toMatch(/status: awaiting_confirmation/);
    expect(out.text()).toMatch(/2 conflict\(s\)/);
    expect(out.text()).toMatch(/transactions\s+\S+\s+amount\s+"-12.34"\s+"-99.99"/);
    expect(out.text()).toMatch(/status: completed/);
    const id = /import ([0-9a-f-]{36}):/.exec(out.text())![1];
    const status = capture();
    await main(['status', id, '--json', ...who], status);
    expect(JSON.parse(status.text()).importResults).toMatchObject({ transactions: { updated: 1, unchanged: 1 }, accounts: { updated: 1, unchanged: 1 } });
    const conflicts = capture();
    expect(await main(['conflicts', id, '--json', ...who], conflicts)).toBe(0);
    expect(JSON.parse(conflicts.text()).total).toBe(2);
    await stack.machine.idle(); // the event is put by the execution's end handler, after the job shows completed
    const kinds = stack.eventBus.events.filter((e) => e.detail.importId === id).map((e) => [e.source, e.detailType]);
    expect(kinds).toEqual([['fzip-import', 'Import Completed']]);

    // --yes with fail_on_conflict (the default) and a conflict: nothing is decided for the user
    data.transactions[0].amount = '-1.00';
    const third = join(dir, 'p3.fzip');
    writeFileSync(third, housef3Package({ data }));
    const stopped = capture();
    expect(await main(['import', third, '--preview', '--yes', '--interval', '100', ...who], stopped)).toBe(1);
    expect(stopped.text()).toMatch(/1 conflict\(s\) have no decision/);
    const waiting = /import ([0-9a-f-]{36}):/.exec(stopped.text())![1];
    expect(stopped.text()).toContain(`fzip confirm ${waiting} --strategy overwrite|skip_existing`);
    const after = capture();
    await main(['status', waiting, '--json', ...who], after);
    expect(JSON.parse(after.text()).status).toBe('awaiting_confirmation');

    // the user's three imports, two a page: the first page ends with the command for the next
    const rows = (text: string) => text.split('\n').filter((l) => /^[0-9a-f-]{36} /.test(l)).map((l) => l.slice(0, 36));
    const page1 = capture();
    expect(await main(['jobs', '--limit', '2', ...who], page1)).toBe(0);
    const next = /more: fzip jobs --limit 2 --cursor (\S+)/.exec(page1.text());
    expect(next).not.toBeNull();
    const page2 = capture();
    expect(await main(['jobs', '--limit', '2', '--cursor', next![1], ...who], page2)).toBe(0);
    expect(page2.text()).not.toContain('more:');
    expect(new Set([...rows(page1.text()), ...rows(page2.text())]).size).toBe(3);
    expect(rows(page1.text())[0]).toBe(waiting); // newest first
  });

  it('refuses a bad token with a clear message', async () => {
    const out = capture();
    expect(await main(['jobs', '--api', stack.apiUrl, '--token', 'x.y.z'], out)).toBe(2);
    expect(out.text()).toContain('HTTP 401');
  });
});
