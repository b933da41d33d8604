/**
 * The web page in a real browser (headless Chromium) against the local stack: sign in, import a
 * generated package and see it completed with the right counts, import a broken package and see
 * its errors, undo, export; a screenshot of each step under test-results/browser/. Any console
 * error or page error fails the test.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, Browser, Page } from 'playwright-core';
import { LocalStack, startLocalStack } from '../../local/stack';
import { writePackageFile } from '../../functions/fzip/writer';
import { syntheticPackage } from '../../cli/synthetic-package';
import { housef3Data, housef3Package } from '../helpers/housef3-package';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const shots = join(__dirname, '..', '..', 'test-results', 'browser');
const dir = mkdtempSync(join(tmpdir(), 'fzip-web-'));
let stack: LocalStack;
let browser: Browser;
let page: Page;
const problems: string[] = [];

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  stack = await startLocalStack({ apiPort: 0, cleanupIntervalSeconds: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

afterEach(() => {
  const seen = problems.splice(0);
  // eslint-disable-next-line jest/no-standalone-expect -- every test must leave the console clean
  expect(seen).toEqual([]);
});

describe('the web page', () => {
  it('signs in as a development user', async () => {
    await page.goto(stack.apiUrl);
    await page.getByLabel('User name').fill('web-user');
    await shot('01-sign-in');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('Signed in as web-user').waitFor();
    expect(await page.getByRole('heading', { name: 'Import a package' }).isVisible()).toBe(true);
  });

  it('imports a generated package: upload progress, phases, completed with the right counts', async () => {
    const file = join(dir, 'generated.fzip');
    await writePackageFile(syntheticPackage({ transactions: 600, accounts: 2, files: 3, seed: 4 }), file);
    await page.getByLabel('Package (.fzip or .json)').setInputFiles(file);
    await page.getByLabel('When you already have a record').selectOption('overwrite');
    await shot('02-import-form');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.locator('#job-status', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
    expect(await page.locator('#upload-progress').getAttribute('value')).toBe('100');
    const rows = await page.locator('#summary-table tbody tr').allInnerTexts();
    expect(rows.map((r) => r.split('\t').slice(0, 2))).toEqual([
      ['accounts', '2'],
      ['categories', '14'],
      ['fileMaps', '2'],
      ['transactionFiles', '3'],
      ['transactions', '600'],
    ]);
    expect(await page.locator('#phases li.done').count()).toBe(8);
    await shot('03-import-completed');
  });

  it('shows the errors of a broken package, filterable, with their total', async () => {
    const data = housef3Data();
    data.transactions[0].amount = 'twelve';
    data.transactions[1].accountId = 'a0000000-0000-4000-8000-0000000000ff';
    const file = join(dir, 'broken.fzip');
    writeFileSync(file, housef3Package({ data }));
    await page.getByLabel('Package (.fzip or .json)').setInputFiles(file);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.locator('#job-status', { hasText: 'validation_failed' }).waitFor({ timeout: 60_000 });
    expect(await page.locator('#errors-title').innerText()).toContain('Problems in the package: 2');
    expect(await page.locator('#errors-table tbody tr').count()).toBe(2);
    await page.getByLabel('Filter the problems').fill('UNKNOWN_REFERENCE');
    const filtered = await page.locator('#errors-table tbody tr').allInnerTexts();
    expect(filtered).toHaveLength(1);
    expect(filtered[0]).toContain('data/transactions.json.gz');
    expect(filtered[0]).toContain('/accountId');
    await shot('04-validation-errors');
  });

  it('previews a re-import: conflicts field by field, a per-record decision, confirm', async () => {
    const input = syntheticPackage({ transactions: 600, accounts: 2, files: 3, seed: 4 });
    const txs: Array<Record<string, unknown>> = [];
    for await (const t of input.transactions as AsyncIterable<Record<string, unknown>>) txs.push(t);
    txs[0] = { ...txs[0], amount: '-4321.00' };
    txs[1] = { ...txs[1], description: 'changed in the package' };
    const file = join(dir, 'changed.fzip');
    await writePackageFile({ ...input, transactions: txs }, file);
    await page.getByLabel('Package (.fzip or .json)').setInputFiles(file);
    await page.getByLabel('Preview first: show what would change and let me decide').check();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.locator('#job-status', { hasText: 'awaiting_confirmation' }).waitFor({ timeout: 60_000 });
    // the status shows first; the conflicts load after it
    await page.locator('#conflicts-title', { hasText: /^Records that differ from yours.*: 2$/ }).waitFor({ timeout: 30_000 });
    const amountRow = page.locator('#conflicts-table tbody tr', { hasText: 'amount' });
    expect(await amountRow.innerText()).toContain('"-4321.00"');
    await amountRow.getByLabel("Take the package's").check();
    await page.getByLabel('For records you did not decide').selectOption('skip_existing');
    await shot('05-preview');
    await page.getByRole('button', { name: 'Confirm the import' }).click();
    await page.locator('#job-status', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
    const tx = (await page.locator('#summary-table tbody tr', { hasText: 'transactions' }).innerText()).split('\t');
    expect(tx).toEqual(['transactions', '0', '1', '1', '598']);
    await page.getByLabel('Preview first: show what would change and let me decide').uncheck();
  });

  it('undoes the completed import from the jobs list', async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    // the list as it is now: both completed imports (the previewed one newest, first)
    await page.getByRole('button', { name: /^Undo import of/ }).nth(1).waitFor({ timeout: 30_000 });
    const undo = page.getByRole('button', { name: /^Undo import of/ }).first();
    // it asks first, saying what it will do; declined, nothing happens
    const asked = page.waitForEvent('dialog');
    await undo.click();
    const first = await asked;
    expect(first.message()).toMatch(/^Undo this import\? The \d+ record\(s\) it created, changed or deleted are put back/);
    await first.dismiss();
    await page.getByRole('button', { name: /^Undo import of/ }).nth(1).waitFor({ timeout: 30_000 });
    expect(await page.locator('#jobs-table tbody tr', { hasText: /undoing|undone/ }).count()).toBe(0);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: /^Undo import of/ }).first().click();
    await page.locator('#jobs-table tbody tr', { hasText: 'undone' }).waitFor({ timeout: 60_000 });
    expect(await page.locator('#jobs-table tbody tr', { hasText: 'undone' }).count()).toBe(1);
    await shot('06-undone');
  });

  it('exports the data and offers the download', async () => {
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await page.locator('#export-status', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
    const link = page.getByRole('link', { name: /^Download the export of/ }).first();
    const href = await link.getAttribute('href');
    expect(href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fzip-packages\/exports\//);
    const res = await fetch(href as string);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).subarray(0, 2).toString()).toBe('PK');
    await shot('07-export');
  });

  it('previews a replace: what it deletes is listed, and confirming deletes it', async () => {
    // the user holds the first generated package again (the previewed import was undone); the
    // backup lacks its last 100 transactions
    const input = syntheticPackage({ transactions: 600, accounts: 2, files: 3, seed: 4 });
    const txs: Array<Record<string, unknown>> = [];
    for await (const t of input.transactions as AsyncIterable<Record<string, unknown>>) txs.push(t);
    const file = join(dir, 'replace.fzip');
    await writePackageFile({ ...input, transactions: txs.slice(0, 500) }, file);
    await page.getByLabel('Package (.fzip or .json)').setInputFiles(file);
    await page.getByLabel('When you already have a record').selectOption('replace');
    await page.getByLabel('Preview first: show what would change and let me decide').check();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.locator('#job-status', { hasText: 'awaiting_confirmation' }).waitFor({ timeout: 60_000 });
    await page.locator('#conflicts-title', { hasText: 'that the backup does not hold: 100' }).waitFor({ timeout: 30_000 });
    const plan = (await page.locator('#plan-table tbody tr', { hasText: 'transactions' }).innerText()).split('\t');
    expect(plan).toEqual(['transactions', '0', '500', '0', '100']);
    expect(await page.locator('#conflicts-table tbody tr', { hasText: '(not in the backup)' }).count()).toBe(20);
    await shot('08-replace-preview');
    await page.getByRole('button', { name: 'Confirm the import' }).click();
    await page.locator('#job-status', { hasText: 'completed' }).waitFor({ timeout: 60_000 });
    const tx = (await page.locator('#summary-table tbody tr', { hasText: 'transactions' }).innerText()).split('\t');
    expect(tx).toEqual(['transactions', '0', '0', '0', '500', '100']);
    await page.getByLabel('Preview first: show what would change and let me decide').uncheck();
  });

  it('shows live progress with the records written, cancels from the progress panel, and ends honestly', async () => {
    const file = join(dir, 'big.fzip');
    await writePackageFile(syntheticPackage({ transactions: 20000, accounts: 2, files: 3, seed: 8 }), file);
    await page.getByLabel('Package (.fzip or .json)').setInputFiles(file);
    await page.getByLabel('When you already have a record').selectOption('overwrite');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    // the transactions phase counts its records as it writes them; Cancel is at hand meanwhile
    await page.locator('#job-records', { hasText: 'of 20,000 transactions' }).waitFor({ timeout: 60_000 });
    await shot('09-live-progress');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Cancel this import' }).click();
    await page.locator('#job-status', { hasText: 'canceled' }).waitFor({ timeout: 120_000 });
    // what was written was put back: no "what was imported" table, and it says so
    expect(await page.locator('#summary').isHidden()).toBe(true);
    expect(await page.locator('#job-message').innerText()).toMatch(/your data is as it was/);
    expect(await page.getByRole('button', { name: 'Cancel this import' }).isHidden()).toBe(true);
    expect(await page.locator('#phases li.failed').count()).toBe(1);
    await shot('10-canceled');
  });

  it('is usable at phone width, with a CSP that forbids inline script', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await shot('08-phone');
    const res = await fetch(stack.apiUrl);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    // (the callbacks run in the page: its globals, typed loosely here)
    const scroll = await page.evaluate(() => {
      const w = globalThis as any;
      return w.document.documentElement.scrollWidth <= w.innerWidth + 1;
    });
    expect(scroll).toBe(true);
    // every form control has a label
    const unlabeled = await page.evaluate(() =>
      [...(globalThis as any).document.querySelectorAll('input, select, textarea')]
        .filter((el: any) => !el.labels?.length && !el.getAttribute('aria-label'))
        .map((el: any) => el.id || el.outerHTML),
    );
    expect(unlabeled).toEqual([]);
  });
});
