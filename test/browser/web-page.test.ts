/**
 * The web page in a real browser (headless Chromium) against the local stack, used as a person
 * would: sign in; a file that is no package is refused before upload; import and see what was
 * written; check a package, see what it holds and pick accounts and months from its chart for a
 * selective import; problems as sentences; "you already have these records" with its choices;
 * a preview with conflicts named as you know them, reopened after a reload and in a second tab;
 * network loss and a gateway's error page during an import; live progress through "Import
 * transactions" and Cancel; undo and delete that ask first; paging past 20 imports; export; the
 * phone layout with every action on screen. axe-core checks each main state at both widths.
 * Screenshots of each step go to test-results/browser/. Any console or page error fails a test.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, Browser, BrowserContext, Page } from 'playwright-core';
import { LocalStack, startLocalStack } from '../../local/stack';
import { writePackageFile } from '../../functions/fzip/writer';
import { syntheticPackage } from '../../cli/synthetic-package';
import { housef3Data, housef3Package } from '../helpers/housef3-package';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const AXE = require.resolve('axe-core/axe.min.js');
const shots = join(__dirname, '..', '..', 'test-results', 'browser');
const dir = mkdtempSync(join(tmpdir(), 'fzip-web-'));
/** The package size limit the stack states (small here, so a too-large file is cheap to make). */
const LIMIT = 6 * 1024 * 1024;
let stack: LocalStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

function watch(p: Page): void {
  p.on('console', (m) => {
    // a request the test itself made fail (network loss, a 502) is logged by Chromium: not the page's error
    if (m.type() === 'error' && !/Failed to load resource|net::ERR_FAILED/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`page: ${e.message}`));
}

async function shot(name: string, p: Page = page): Promise<void> {
  await p.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/** A screenshot of what the screen shows (no sticky-header artifacts): the source of docs/web-page*.png. */
async function screenShot(name: string, scrollTo?: string): Promise<void> {
  if (scrollTo) await page.locator(scrollTo).evaluate((e: any) => e.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: join(shots, `${name}.png`) });
}

/** axe-core in the page (evaluated through the DevTools protocol, so the page's CSP still stands). */
async function axe(p: Page = page): Promise<string[]> {
  const loaded = await p.evaluate(() => typeof (globalThis as any).axe !== 'undefined');
  if (!loaded) await p.evaluate(readFileSync(AXE, 'utf8'));
  const result = await p.evaluate(async () => (globalThis as any).axe.run((globalThis as any).document, { resultTypes: ['violations'] }));
  return (result.violations as Array<{ id: string; impact: string; nodes: Array<{ target: string[] }> }>).map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** axe-core at desktop and at phone width (the layout differs: stacked rows, one-line header). */
async function axeBothWidths(name: string): Promise<string[]> {
  const desktop = await axe();
  await page.setViewportSize({ width: 390, height: 844 });
  const phone = (await axe()).map((v) => `phone: ${v}`);
  await shot(`phone-${name}`);
  await page.setViewportSize({ width: 1100, height: 900 });
  return [...desktop, ...phone];
}

const panelText = () => page.locator('#progress-panel').innerText();
const status = () => page.locator('#job-status');

async function transactionsOf(input: ReturnType<typeof syntheticPackage>): Promise<Array<Record<string, unknown>>> {
  const txs: Array<Record<string, unknown>> = [];
  for await (const t of input.transactions as AsyncIterable<Record<string, unknown>>) txs.push(t);
  return txs;
}

async function choose(file: string): Promise<void> {
  await page.getByLabel('Package (.fzip or .json)').setInputFiles(file);
}

async function tokenFor(user: string): Promise<string> {
  const res = await fetch(`${stack.apiUrl}/local/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }) });
  return ((await res.json()) as { token: string }).token;
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  process.env.MAX_PACKAGE_BYTES = String(LIMIT);
  stack = await startLocalStack({ apiPort: 0, cleanupIntervalSeconds: 0 });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  // a step that cannot happen fails the test instead of hanging it
  context.setDefaultTimeout(60_000);
  page = await context.newPage();
  watch(page);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  delete process.env.MAX_PACKAGE_BYTES;
});

afterEach(() => {
  const seen = problems.splice(0);
  // eslint-disable-next-line jest/no-standalone-expect -- every test must leave the console clean
  expect(seen).toEqual([]);
});

describe('the web page', () => {
  it('signs in as a development user; nothing of the signed-in page shows before', async () => {
    await page.goto(stack.apiUrl);
    await page.getByLabel('User name').waitFor();
    expect(await page.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(false);
    expect(await axeBothWidths('sign-in')).toEqual([]);
    await page.getByLabel('User name').fill('web-user');
    await shot('01-sign-in');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('Signed in as web-user').waitFor();
    expect(await page.getByRole('heading', { name: 'Import a package' }).isVisible()).toBe(true);
    expect(await page.locator('#file-hint').innerText()).toContain('at most 6.0 MB');
  });

  it('refuses a file that is not a package, or too large, before uploading anything', async () => {
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'my notes\n');
    await choose(notes);
    await page.locator('#file-problem', { hasText: 'notes.txt is not a backup package' }).waitFor();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    const big = join(dir, 'big.zip');
    writeFileSync(big, Buffer.concat([Buffer.from('PK\x03\x04'), randomBytes(LIMIT + 1024 * 1024)]));
    await choose(big);
    await page.locator('#file-problem', { hasText: /big\.zip is 7\.0 MB; the largest package accepted is 6\.0 MB/ }).waitFor();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    // no import was created for either
    const list = await fetch(`${stack.apiUrl}/import`, { headers: { authorization: `Bearer ${await tokenFor('web-user')}` } });
    expect(((await list.json()) as { importJobs: unknown[] }).importJobs).toEqual([]);
    await shot('02-refused-file');
  });

  it('imports a generated package: steps done, what was written in plain words, the list names the file', async () => {
    const file = join(dir, 'generated.fzip');
    await writePackageFile(syntheticPackage({ transactions: 600, accounts: 2, files: 3, seed: 4 }), file);
    await choose(file);
    await page.getByLabel('When you already have a record').selectOption('overwrite');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await status().filter({ hasText: 'Completed' }).waitFor({ timeout: 60_000 });
    expect(await page.locator('#upload-progress').getAttribute('value')).toBe('100');
    const rows = await page.locator('#summary-table tbody tr').allInnerTexts();
    expect(rows.map((r) => r.split('\t').slice(0, 2))).toEqual([
      ['Accounts', '2'],
      ['Categories', '14'],
      ['File maps', '2'],
      ['Statement files', '3'],
      ['Transactions', '600'],
    ]);
    expect(await page.locator('#job-message').innerText()).toContain('Imported: 621 records and files created');
    expect(await page.locator('#phases li.done').count()).toBe(8);
    expect(page.url()).toMatch(/#\/imports\/[0-9a-f-]{36}$/);
    const row = page.locator('#jobs-table tbody tr').first();
    await row.filter({ hasText: 'generated.fzip' }).waitFor({ timeout: 10_000 });
    expect(await row.innerText()).toContain('Completed');
    expect(await row.getByRole('button', { name: 'Undo generated.fzip' }).isVisible()).toBe(true);
    expect(await axeBothWidths('import-completed')).toEqual([]);
    await shot('03-import-completed');
    await screenShot('web-page', '#progress-panel');
    // the money chart is recomputed after the import: months with bars, a month by category
    await page.locator('#money-chart svg g.month').first().waitFor({ timeout: 60_000 });
    expect(await page.locator('#money-chart svg g.month').count()).toBeGreaterThan(10);
    expect(await page.locator('#money-currency').inputValue()).toBe('GBP');
    await page.locator('#money-chart svg g.month').last().click();
    await page.locator('#money-categories tbody tr').first().waitFor();
    expect(await page.locator('#money-month-title').innerText()).toMatch(/^\w+ \d{4} by category \(GBP\)$/);
    expect(await page.locator('#money-categories tbody tr').count()).toBeGreaterThan(0);
    await shot('03b-money-by-month');
  });

  it('checks a package, shows what it holds, and imports only the accounts and months picked on its chart', async () => {
    const input = syntheticPackage({ transactions: 900, accounts: 3, files: 3, seed: 12 });
    const txs = await transactionsOf(syntheticPackage({ transactions: 900, accounts: 3, files: 3, seed: 12 }));
    const file = join(dir, 'three-accounts.fzip');
    await writePackageFile(input, file);
    // a new user: the selection is all they will hold
    await page.evaluate(() => (globalThis as any).sessionStorage.clear());
    await page.goto(stack.apiUrl);
    await page.getByLabel('User name').fill('web-picker');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('Signed in as web-picker').waitFor();
    await choose(file);
    await page.getByRole('button', { name: 'Check the package' }).click();
    await status().filter({ hasText: 'Checked' }).waitFor({ timeout: 60_000 });
    expect(await page.locator('#overview-text').innerText()).toMatch(/^900 transactions in 3 accounts, from 2021-01-01 to 2024-1\d-\d\d\./);
    expect(await page.locator('#overview-table tbody tr').count()).toBe(3);
    const months = page.locator('#chart svg g.month');
    expect(await months.count()).toBeGreaterThan(40);
    // pick the first account and 2022-03 .. 2022-08 (clicked in reverse order)
    const accountId = (await page.locator('#overview-table tbody tr').first().locator('input').getAttribute('value')) as string;
    await page.locator('#overview-table tbody tr').first().locator('input').check();
    await page.locator('#chart g.month[data-month="2022-08"]').click();
    await page.locator('#chart g.month[data-month="2022-03"]').click();
    expect(await page.locator('#overview-selection').innerText()).toBe('Selected: 1 account, transactions from 2022-03-01 to 2022-08-31.');
    expect(await page.locator('#chart g.month.picked').count()).toBe(6);
    expect(await axeBothWidths('package-overview')).toEqual([]);
    await shot('04-package-overview');
    await page.getByRole('button', { name: 'Import only this selection' }).click();
    expect(await page.locator('#filter-from').inputValue()).toBe('2022-03-01');
    expect(await page.locator('#filter-to').inputValue()).toBe('2022-08-31');
    expect(await page.locator(`#filter-account-list input[value="${accountId}"]`).isChecked()).toBe(true);
    expect(await page.locator('#selection-note').innerText()).toContain('The next import takes only: 1 account');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await status().filter({ hasText: 'Completed' }).waitFor({ timeout: 60_000 });
    const from = Date.UTC(2022, 2, 1);
    const to = Date.UTC(2022, 8, 1) - 1;
    const expected = txs.filter((t) => t.accountId === accountId && (t.date as number) >= from && (t.date as number) <= to).length;
    expect(expected).toBeGreaterThan(10);
    const tx = (await page.locator('#summary-table tbody tr', { hasText: 'Transactions' }).innerText()).split('\t');
    expect(tx[1]).toBe(String(expected));
    await shot('05-selective-import');
    // back to the first user for the rest
    await page.evaluate(() => (globalThis as any).sessionStorage.clear());
    await page.goto(stack.apiUrl);
    await page.getByLabel('User name').fill('web-user');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('Signed in as web-user').waitFor();
  });

  it('says what is wrong with a broken package in sentences, with the values, filterable', async () => {
    const data = housef3Data();
    data.transactions[0].amount = 'twelve';
    data.transactions[1].accountId = 'a0000000-0000-4000-8000-0000000000ff';
    const file = join(dir, 'broken.fzip');
    writeFileSync(file, housef3Package({ data }));
    await choose(file);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await status().filter({ hasText: 'Not imported' }).waitFor({ timeout: 60_000 });
    expect(await page.locator('#job-message').innerText()).toContain('Nothing was imported: the package has 2 problems.');
    expect(await page.locator('#errors-title').innerText()).toContain('Problems in the package: 2');
    const items = await page.locator('#errors-list li').allInnerTexts();
    expect(items[0]).toMatch(/^Transaction 1: Amount .* \(the value is "twelve"\)\./);
    expect(items[1]).toMatch(/^Transaction 2: Account id refers to account a0000000-0000-4000-8000-0000000000ff that is not in the package\./);
    await page.getByLabel('Filter the problems').fill('twelve');
    expect(await page.locator('#errors-list li').count()).toBe(1);
    await page.getByLabel('Filter the problems').fill('UNKNOWN_REFERENCE');
    expect(await page.locator('#errors-list li').allInnerTexts()).toEqual([items[1]]);
    expect(await page.locator('#phases li.failed').innerText()).toBe('Check the package');
    expect(await axeBothWidths('problems')).toEqual([]);
    await shot('06-problems');
  });

  it('re-importing changed records says "you already have these", then previews them named as you know them', async () => {
    const input = syntheticPackage({ transactions: 600, accounts: 2, files: 3, seed: 4 });
    const txs = await transactionsOf(input);
    txs[0] = { ...txs[0], amount: '-4321.00' };
    txs[1] = { ...txs[1], description: 'changed in the package' };
    const file = join(dir, 'changed.fzip');
    await writePackageFile({ ...input, transactions: txs }, file);
    await choose(file);
    await page.getByLabel('When you already have a record').selectOption('fail_on_conflict');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.locator('#conflict-choice').waitFor({ timeout: 60_000 });
    expect(await page.locator('#job-message').innerText()).toBe('Nothing was imported: you already have 2 records of this package with other content.');
    expect(await panelText()).not.toMatch(/invalid/i);
    await shot('07-already-have');
    await page.getByRole('button', { name: 'Show them and let me decide' }).click();
    await status().filter({ hasText: 'Waiting for your decision' }).waitFor({ timeout: 60_000 });
    await page.locator('#conflicts-title', { hasText: /^Records that differ from yours.*: 2$/ }).waitFor({ timeout: 30_000 });
    const original = (await transactionsOf(syntheticPackage({ transactions: 600, accounts: 2, files: 3, seed: 4 })))[0];
    const day = new Date(original.date as number).toISOString().slice(0, 10);
    const card = page.locator('article.conflict', { hasText: 'Amount' });
    expect(await card.locator('h5').innerText()).toBe(`Transaction · ${day} · ${String(original.description)}`);
    const amount = String(original.amount).replace(/^-/, '−').replace(/\B(?=(\d{3})+(?!\d))/, ',');
    expect(await card.locator('.detail').innerText()).toBe(`Account 1 · ${amount} GBP`);
    expect(await card.locator('tbody tr').innerText()).toBe(`Amount\t${amount} GBP\t−4,321.00 GBP`);
    await card.getByLabel("Take the package's").check();
    await page.getByLabel('For records you did not decide').selectOption('skip_existing');
    expect(await axeBothWidths('preview')).toEqual([]);
    await shot('08-preview');
    // a reload reopens the preview, and it can still be confirmed
    const url = page.url();
    expect(url).toMatch(/#\/imports\/[0-9a-f-]{36}$/);
    await page.reload();
    await page.locator('#conflicts-title', { hasText: /: 2$/ }).waitFor({ timeout: 30_000 });
    expect(page.url()).toBe(url);
    // a second tab (a link to it) asks to sign in, then opens the same preview
    const second = await context.newPage();
    watch(second);
    await second.goto(url);
    await second.getByLabel('User name').fill('web-user');
    await second.getByRole('button', { name: 'Sign in', exact: true }).click();
    await second.locator('#job-status', { hasText: 'Waiting for your decision' }).waitFor({ timeout: 30_000 });
    await second.locator('#conflicts-title', { hasText: /: 2$/ }).waitFor({ timeout: 30_000 });
    await second.close();
    await page.locator('article.conflict', { hasText: 'Amount' }).getByLabel("Take the package's").check();
    await page.getByRole('button', { name: 'Confirm the import' }).click();
    await status().filter({ hasText: 'Completed' }).waitFor({ timeout: 60_000 });
    const tx = (await page.locator('#summary-table tbody tr', { hasText: 'Transactions' }).innerText()).split('\t');
    expect(tx).toEqual(['Transactions', '0', '1', '1', '598']);
  });

  it('keeps following an import through a gateway error page and lost connections, and says so', async () => {
    const file = join(dir, 'flaky.fzip');
    await writePackageFile(syntheticPackage({ transactions: 3000, accounts: 2, files: 3, seed: 21 }), file);
    await choose(file);
    await page.getByLabel('When you already have a record').selectOption('overwrite');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await status().filter({ hasText: /Checking|Importing/ }).waitFor({ timeout: 60_000 });
    const apiCalls = (u: URL) => u.pathname.startsWith('/import');
    // a gateway answers with an HTML error page: the page says the connection is lost and retries
    await page.route(apiCalls, (r) => r.fulfill({ status: 502, contentType: 'text/html', body: '<html><body>502 Bad Gateway</body></html>' }));
    await page.getByRole('button', { name: 'Refresh' }).click(); // a request made now, whatever the import's pace
    await page.locator('#connection', { hasText: 'Connection lost, retrying' }).waitFor({ timeout: 20_000 });
    // then the API cannot be reached at all
    await page.unroute(apiCalls);
    await page.route(apiCalls, (r) => r.abort('connectionrefused'));
    // a request made now (a poll may have passed between the routes and cleared the notice)
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.locator('#connection', { hasText: 'Connection lost, retrying' }).waitFor({ timeout: 20_000 });
    await shot('09-connection-lost');
    // back: it recovers by itself and follows the import to its end
    await page.unroute(apiCalls);
    await status().filter({ hasText: 'Completed' }).waitFor({ timeout: 90_000 });
    await page.locator('#connection').waitFor({ state: 'hidden', timeout: 20_000 });
    expect(await panelText()).not.toMatch(/Unexpected token|not valid JSON|Failed to fetch/);
    expect(await page.locator('#jobs-message').innerText()).toBe('');
  });

  it('shows live progress through "Import transactions" with counts, cancels from the panel, and ends honestly', async () => {
    const file = join(dir, 'big.fzip');
    await writePackageFile(syntheticPackage({ transactions: 20000, accounts: 2, files: 3, seed: 8 }), file);
    await choose(file);
    await page.getByLabel('When you already have a record').selectOption('overwrite');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    // the transactions phase counts its records as it writes them; Cancel is at hand meanwhile
    await page.locator('#job-records', { hasText: /of 20,000 transactions written/ }).waitFor({ timeout: 90_000 });
    expect(await page.locator('#phases li.current').innerText()).toBe('Import transactions');
    expect(await page.getByRole('button', { name: 'Cancel this import' }).isVisible()).toBe(true);
    await shot('10-live-progress');
    // a reload reopens the running import's live view, counts and Cancel included
    await page.reload();
    await page.locator('#job-records', { hasText: /of 20,000 transactions written/ }).waitFor({ timeout: 60_000 });
    expect(await page.locator('#progress-title').innerText()).toMatch(/^Import of big\.fzip, started /);
    // it asks first; declined, the import goes on (the dialog opens inside the click: answered by a handler)
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.dismiss();
    });
    await page.getByRole('button', { name: 'Cancel this import' }).click();
    expect(asked).toContain('Whatever it has written so far is put back');
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Cancel this import' }).click();
    await status().filter({ hasText: /^Canceled$/ }).waitFor({ timeout: 120_000 });
    // what was written was put back: no "what was imported" table, and it says so
    expect(await page.locator('#summary').isHidden()).toBe(true);
    expect(await page.locator('#job-message').innerText()).toMatch(/^Canceled\. It had written [\d,]+ records and files; all were put back: your data is as it was\.$|^Canceled before anything was written/);
    expect(await page.getByRole('button', { name: 'Cancel this import' }).isHidden()).toBe(true);
    expect(await page.locator('#phases li.failed').innerText()).toBe('Import transactions');
    await shot('11-canceled');
    // the list says the same, in words, with no progress figure
    const row = page.locator('#jobs-table tbody tr', { hasText: 'big.fzip' });
    await row.filter({ hasText: 'Canceled' }).waitFor({ timeout: 10_000 });
  });

  it('undoes and deletes from the list, asking first with what it will do', async () => {
    const undo = page.getByRole('button', { name: 'Undo changed.fzip' });
    await undo.waitFor({ timeout: 30_000 });
    const asked = page.waitForEvent('dialog');
    await undo.click();
    const first = await asked;
    // answered before anything is checked: an open dialog would block the page for every later step
    const message = first.message();
    await first.dismiss();
    expect(message).toBe('Undo the import of changed.fzip? The record it created, changed or deleted is put back as it was before it, statement files included.');
    expect(await page.locator('#jobs-table tbody tr', { hasText: /Undoing|Undone/ }).count()).toBe(0);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Undo changed.fzip' }).click();
    // undo opens the job's view, with its own progress and end
    await status().filter({ hasText: 'Undone' }).waitFor({ timeout: 60_000 });
    expect(await page.locator('#job-message').innerText()).toMatch(/^Undone: what the import wrote was put back \(1 restored, 0 removed, statement files included\)\./);
    await shot('12-undone');
    let askedDelete = '';
    page.once('dialog', (d) => {
      askedDelete = d.message();
      void d.accept();
    });
    await page.getByRole('button', { name: 'Delete broken.fzip' }).click();
    expect(askedDelete).toBe('Delete broken.fzip from the list? Your data is not changed.');
    await page.locator('#jobs-table tbody tr', { hasText: 'broken.fzip' }).waitFor({ state: 'detached', timeout: 10_000 });
  });

  it('exports the data and offers the download', async () => {
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await page.locator('#export-status', { hasText: 'Export completed' }).waitFor({ timeout: 60_000 });
    const link = page.getByRole('link', { name: /^Download the export of/ }).first();
    const href = await link.getAttribute('href');
    expect(href).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/fzip-packages\/exports\//);
    const res = await fetch(href as string);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).subarray(0, 2).toString()).toBe('PK');
    // a backup of some dates only: listed as a part, with fewer transactions
    const full = Number((await page.locator('#exports-table tbody tr').first().locator('td[data-label="Transactions"]').innerText()).replace(/,/g, ''));
    await page.getByText('Back up only some dates').click();
    await page.getByLabel('Transactions from').last().fill('2021-01-01');
    await page.locator('#export-to').fill('2021-06-30');
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await page.locator('#export-status', { hasText: 'Export completed' }).waitFor({ timeout: 60_000 });
    const part = page.locator('#exports-table tbody tr').first();
    await part.filter({ hasText: 'Part: 2021-01-01 to 2021-06-30' }).waitFor({ timeout: 10_000 });
    const some = Number((await part.locator('td[data-label="Transactions"]').innerText()).replace(/,/g, ''));
    expect(some).toBeGreaterThan(0);
    expect(some).toBeLessThan(full);
    // with the monthly figures, a selection is refused in words; everything is fine
    await page.getByLabel(/Include my monthly figures/).check();
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await page.locator('#export-status', { hasText: /includeAnalytics/ }).waitFor({ timeout: 10_000 });
    await page.locator('#export-from').fill('');
    await page.locator('#export-to').fill('');
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await page.locator('#export-status', { hasText: 'Export completed' }).waitFor({ timeout: 60_000 });
    await page.locator('#exports-table tbody tr').first().filter({ hasText: 'Everything, with monthly figures' }).waitFor({ timeout: 10_000 });
    await shot('13-export');
    // the new checkbox and the list, labelled and usable at both widths
    expect(await axeBothWidths('export')).toEqual([]);
  });

  it('previews a replace: what it deletes is listed by name, and confirming deletes it', async () => {
    // a user who holds the generated package; the backup lacks its last 100 transactions
    await page.evaluate(() => (globalThis as any).sessionStorage.clear());
    await page.goto(stack.apiUrl);
    await page.getByLabel('User name').fill('web-replacer');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('Signed in as web-replacer').waitFor();
    await choose(join(dir, 'generated.fzip'));
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await status().filter({ hasText: 'Completed' }).waitFor({ timeout: 60_000 });
    const input = syntheticPackage({ transactions: 600, accounts: 2, files: 3, seed: 4 });
    const txs = await transactionsOf(input);
    const file = join(dir, 'replace.fzip');
    await writePackageFile({ ...input, transactions: txs.slice(0, 500) }, file);
    await choose(file);
    await page.getByLabel('When you already have a record').selectOption('replace');
    await page.getByLabel('Preview first: show what would change and let me decide').check();
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await status().filter({ hasText: 'Waiting for your decision' }).waitFor({ timeout: 60_000 });
    await page.locator('#conflicts-title', { hasText: /that the backup does not hold: 100$/ }).waitFor({ timeout: 30_000 });
    const plan = (await page.locator('#plan-table tbody tr', { hasText: 'Transactions' }).innerText()).split('\t');
    expect(plan[4]).toBe('100');
    const deleted = page.locator('article.conflict', { hasText: 'Not in the backup' });
    expect(await deleted.count()).toBeGreaterThan(0);
    expect(await deleted.first().locator('h5').innerText()).toMatch(/^Transaction · \d{4}-\d\d-\d\d · /);
    await shot('14-replace-preview');
    await page.getByRole('button', { name: 'Confirm the import' }).click();
    await status().filter({ hasText: 'Completed' }).waitFor({ timeout: 60_000 });
    const tx = (await page.locator('#summary-table tbody tr', { hasText: 'Transactions' }).innerText()).split('\t');
    expect(tx[5]).toBe('100');
    await page.getByLabel('Preview first: show what would change and let me decide').uncheck();
  });

  it('pages through more than 20 imports, each row opening its own view', async () => {
    const user = 'web-pager';
    const token = await tokenFor(user);
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${stack.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    for (let i = 0; i < 23; i++) {
      const created = (await (await call('POST', '/import', { packageName: `backup-${String(i).padStart(2, '0')}.fzip` })).json()) as { importId: string };
      expect((await call('POST', `/import/${created.importId}/cancel`)).status).toBe(200);
    }
    await page.evaluate(() => (globalThis as any).sessionStorage.clear());
    await page.goto(stack.apiUrl);
    await page.getByLabel('User name').fill(user);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('#jobs-table tbody tr').nth(19).waitFor();
    expect(await page.locator('#jobs-table tbody tr').count()).toBe(20);
    await page.getByRole('button', { name: 'Show older imports' }).click();
    await page.locator('#jobs-table tbody tr').nth(22).waitFor();
    expect(await page.getByRole('button', { name: 'Show older imports' }).isHidden()).toBe(true);
    expect(await page.locator('#jobs-title').innerText()).toBe('Your imports (23)');
    await page.getByRole('link', { name: 'Open backup-00.fzip' }).click();
    await status().filter({ hasText: 'Canceled' }).waitFor();
    expect(await page.locator('#progress-title').innerText()).toMatch(/^Import of backup-00\.fzip, started /);
    expect(await page.locator('#job-message').innerText()).toBe('Canceled before anything was written: your data is as it was.');
  });

  it('is usable at phone width: rows stacked, every action on screen, no sideways scrolling, no axe violation', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => (globalThis as any).scrollTo(0, 0));
    const header = await page.locator('header').boundingBox();
    expect(header!.height).toBeLessThan(110);
    const fits = await page.evaluate(() => {
      const w = globalThis as any;
      return w.document.documentElement.scrollWidth <= w.innerWidth + 1;
    });
    expect(fits).toBe(true);
    // every button and link of the list is within the screen's width
    const outside = await page.evaluate(() =>
      [...(globalThis as any).document.querySelectorAll('#jobs-table button, #jobs-table a, #progress-panel button')]
        .filter((b: any) => b.offsetParent !== null)
        .map((b: any) => ({ name: b.getAttribute('aria-label') ?? b.textContent, right: b.getBoundingClientRect().right }))
        .filter((b: any) => b.right > 390),
    );
    expect(outside).toEqual([]);
    expect(await axe()).toEqual([]);
    await shot('15-phone');
    await screenShot('web-page-phone', '#progress-panel');
    // the header stays at the top while scrolling
    await page.evaluate(() => (globalThis as any).scrollTo(0, 2000));
    expect((await page.locator('header').boundingBox())!.y).toBe(0);
    await page.evaluate(() => (globalThis as any).scrollTo(0, 0));
    await page.setViewportSize({ width: 1100, height: 900 });
  });

  it('asks before leaving during an upload, and is served versioned under a CSP that forbids inline script', async () => {
    const res = await fetch(stack.apiUrl);
    const html = await res.text();
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    const script = /src="(\/app\.js\?v=[0-9a-f]{12})"/.exec(html)?.[1];
    expect(script).toMatch(/^\/app\.js\?v=/);
    expect((await fetch(`${stack.apiUrl}${script}`)).headers.get('cache-control')).toContain('immutable');
    // every form control has a label
    const unlabeled = await page.evaluate(() =>
      [...(globalThis as any).document.querySelectorAll('input, select, textarea')]
        .filter((el: any) => !el.labels?.length && !el.getAttribute('aria-label'))
        .map((el: any) => el.id || el.outerHTML),
    );
    expect(unlabeled).toEqual([]);
    // leaving mid-upload: the page asks the browser to confirm (slow the upload down to see it)
    const file = join(dir, 'slow.fzip');
    await writePackageFile(syntheticPackage({ transactions: 200, accounts: 1, files: 1, seed: 3 }), file);
    await page.route(/fzip-packages/, async (r) => {
      await sleep(3000);
      await r.continue();
    });
    await choose(file);
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await page.locator('#upload-row').waitFor();
    await sleep(500);
    const prevented = await page.evaluate(() => {
      const w = globalThis as any;
      const e = new w.Event('beforeunload', { cancelable: true });
      w.dispatchEvent(e);
      return e.defaultPrevented;
    });
    expect(prevented).toBe(true);
    await page.unroute(/fzip-packages/);
    await status().filter({ hasText: /Completed|Not imported/ }).waitFor({ timeout: 60_000 });
    const after = await page.evaluate(() => {
      const w = globalThis as any;
      const e = new w.Event('beforeunload', { cancelable: true });
      w.dispatchEvent(e);
      return e.defaultPrevented;
    });
    expect(after).toBe(false);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
