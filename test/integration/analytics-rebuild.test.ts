/**
 * Recomputing only the months an import touched, against dynalite with the transactions' index
 * by date: the figures equal a full recompute's, and only those months' transactions are read.
 */
import { startLocalServers, LocalServers } from '../../local/servers';
import { entityTableDefinition, entityTableDefinitions } from '../../local/tables';
import { AnalyticsStore } from '../../functions/analytics/analytics-store';
import { AnalyticsBuilder, monthOf } from '../../functions/analytics/aggregate';
import { monthRanges, rebuildAnalytics, touchedMonths } from '../../functions/analytics/rebuild';
import { EntityStore } from '../../functions/entities/entity-store';
import { entityTableNames } from '../../functions/fzip/entities';
import { Logger } from '../../functions/shared/logger';

let servers: LocalServers;
let deps: Parameters<typeof rebuildAnalytics>[1];
const tables = entityTableNames('ar-');

beforeAll(async () => {
  process.env.LOG_LEVEL = 'silent';
  servers = await startLocalServers({ buckets: [], tables: [...entityTableDefinitions(tables), entityTableDefinition('ar-analytics')] });
  deps = { entities: new EntityStore(servers.doc, tables), analytics: new AnalyticsStore(servers.doc, 'ar-analytics'), logger: new Logger('test') };
});
afterAll(() => servers.stop());

const DAY = 86_400_000;
const JAN_2023 = Date.UTC(2023, 0, 1);
const uuid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** n transactions over 24 months, two accounts (GBP, EUR), some with a category. */
function history(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    transactionId: uuid(i),
    accountId: i % 3 ? 'acc-gbp' : 'acc-eur',
    date: JAN_2023 + Math.floor((i * 730 * DAY) / n) + (i % 7) * 3_600_000,
    description: `t${i}`,
    amount: `${i % 5 === 0 ? '-' : ''}${(i % 97) + 1}.${String(i % 100).padStart(2, '0')}`,
    ...(i % 4 ? { primaryCategoryId: `cat-${i % 4}` } : {}),
  }));
}

async function brute(userId: string) {
  const builder = new AnalyticsBuilder((id) => (id === 'acc-eur' ? 'EUR' : 'GBP'));
  for (const t of await deps.entities.listUserItems('transactions', userId)) builder.add(t);
  return builder.result();
}

async function figures(userId: string) {
  return (await deps.analytics.months(userId, '0000-01', '9999-12')).months;
}

describe('recomputing the months an import touched', () => {
  it('equals a full recompute and reads only those months', async () => {
    const user = 'u-months';
    await deps.entities.putAll('accounts', user, 'imp0', [
      { accountId: 'acc-gbp', accountName: 'Current', currency: 'GBP' },
      { accountId: 'acc-eur', accountName: 'Euro', currency: 'EUR' },
    ]);
    const txs = history(2400);
    await deps.entities.putAll('transactions', user, 'imp0', txs);
    const full = await rebuildAnalytics(user, deps);
    expect(full).toMatchObject({ incremental: false, transactionsRead: 2400, current: true });
    expect(await figures(user)).toEqual(await brute(user));

    // an import changes amounts in March 2023, moves one transaction from March to June 2024 and adds one in June 2024
    const march = txs.filter((t) => monthOf(t.date) === '2023-03');
    const changed = march.slice(0, 5).map((t) => ({ ...t, amount: '1000.01' }));
    const moved = { ...march[5], date: Date.UTC(2024, 5, 15) };
    const added = { transactionId: uuid(99_999), accountId: 'acc-eur', date: Date.UTC(2024, 5, 3), description: 'new', amount: '-12.34' };
    await deps.entities.putAll('transactions', user, 'imp1', [...changed, moved, added]);
    const touched = ['2023-03', '2024-06'];
    const inc = await rebuildAnalytics(user, deps, touched);
    const after = await deps.entities.listUserItems('transactions', user);
    const inTouched = after.filter((t) => touched.includes(monthOf(t.date as number))).length;
    expect(inc).toMatchObject({ incremental: true, current: true, recomputedMonths: 2, transactionsRead: inTouched });
    expect(inTouched).toBeLessThan(after.length / 10);
    expect(await figures(user)).toEqual(await brute(user));
  });

  it('recomputes everything when the figures before are not current (another build pending or lost)', async () => {
    const user = 'u-pending';
    await deps.entities.putAll('accounts', user, 'imp0', [{ accountId: 'acc-gbp', currency: 'GBP' }, { accountId: 'acc-eur', currency: 'EUR' }]);
    await deps.entities.putAll('transactions', user, 'imp0', history(300));
    await rebuildAnalytics(user, deps);
    await deps.analytics.request(user); // a build that never published (its Lambda died)
    await deps.entities.putAll('transactions', user, 'imp2', [{ transactionId: uuid(7), accountId: 'acc-gbp', date: Date.UTC(2023, 0, 2), description: 'x', amount: '5.00' }]);
    const r = await rebuildAnalytics(user, deps, ['2023-01']);
    expect(r).toMatchObject({ incremental: false, transactionsRead: 300 });
    expect(await figures(user)).toEqual(await brute(user));
  });

  it('merges consecutive months into one range (years below 100 too)', () => {
    expect(monthRanges(['2024-02', '2023-12', '2024-01', '2024-05'])).toEqual([
      [Date.UTC(2023, 11, 1), Date.UTC(2024, 2, 1) - 1],
      [Date.UTC(2024, 4, 1), Date.UTC(2024, 5, 1) - 1],
    ]);
    const [[from, to]] = monthRanges(['0050-03']);
    expect([new Date(from).toISOString(), new Date(to).toISOString()]).toEqual(['0050-03-01T00:00:00.000Z', '0050-03-31T23:59:59.999Z']);
  });

  it('recomputes only touched months when nothing else could change them', () => {
    const done = { counts: { accounts: { created: 1 }, transactions: { created: 3 } }, months: ['2024-02', '2024-01', '2024-02'] };
    expect(touchedMonths('Import Completed', done)).toEqual(['2024-01', '2024-02']);
    expect(touchedMonths('Import Completed', { ...done, counts: { accounts: { updated: 1 } } })).toBeUndefined();
    expect(touchedMonths('Import Completed', { ...done, months: null })).toBeUndefined();
    expect(touchedMonths('Import Completed', { ...done, months: ['2024-13'] })).toBeUndefined();
    expect(touchedMonths('Import Canceled', { ...done, rolledBack: false })).toBeUndefined();
    expect(touchedMonths('Analytics Rebuild Requested', done)).toBeUndefined();
    // an undo may put back what earlier imports held: everything
    expect(touchedMonths('Import Undone', done)).toBeUndefined();
  });
});
