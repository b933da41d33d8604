import { CHART_ACCOUNTS, MAX_ACCOUNTS, MAX_MONTHS, OTHER_ACCOUNTS, OverviewCollector } from '../../../functions/fzip/overview';

const ms = (day: string) => Date.parse(`${day}T12:00:00Z`);

describe('OverviewCollector', () => {
  it('counts transactions per account with names, date ranges and months (UTC)', () => {
    const o = new OverviewCollector();
    o.add('accounts', { accountId: 'a', accountName: 'Current', currency: 'GBP' });
    o.add('accounts', { accountId: 'b', accountName: 'Savings' });
    o.add('transactions', { accountId: 'a', date: ms('2024-01-31') });
    o.add('transactions', { accountId: 'a', date: ms('2024-03-01') });
    o.add('transactions', { accountId: 'b', date: ms('2024-03-05') });
    o.add('categories', { categoryId: 'c', name: 'x' });
    const r = o.result();
    expect(r.transactions).toBe(3);
    expect(r.firstDate).toBe('2024-01-31');
    expect(r.lastDate).toBe('2024-03-05');
    expect(r.accounts).toEqual([
      { accountId: 'a', name: 'Current', currency: 'GBP', transactions: 2, firstDate: '2024-01-31', lastDate: '2024-03-01' },
      { accountId: 'b', name: 'Savings', transactions: 1, firstDate: '2024-03-05', lastDate: '2024-03-05' },
    ]);
    expect(r.months).toEqual([
      { month: '2024-01', counts: { a: 1 } },
      { month: '2024-03', counts: { a: 1, b: 1 } },
    ]);
    expect(r.moreAccounts).toBe(0);
    expect(r.earlierMonths).toBe(0);
  });

  it('stays bounded: accounts past the limit summed, small accounts charted as one series, old months counted', () => {
    const o = new OverviewCollector();
    const accounts = MAX_ACCOUNTS + 5;
    for (let a = 0; a < accounts; a++) {
      // account a has a+1 transactions, one per month going back from 2030
      for (let i = 0; i <= a; i++) o.add('transactions', { accountId: `acc-${String(a).padStart(3, '0')}`, date: Date.UTC(2030, -i, 15) });
    }
    // and one long-lived account, a transaction a month for longer than the months listed
    for (let i = 0; i < MAX_MONTHS + 20; i++) o.add('transactions', { accountId: 'long', date: Date.UTC(2030, -i, 1) });
    const r = o.result();
    expect(r.accounts).toHaveLength(MAX_ACCOUNTS);
    expect(r.accounts[0].accountId).toBe('long');
    expect(r.accounts[1].accountId).toBe(`acc-${accounts - 1}`);
    expect(r.moreAccounts).toBe(6);
    expect(r.moreAccountsTransactions).toBe(1 + 2 + 3 + 4 + 5 + 6);
    expect(r.months).toHaveLength(MAX_MONTHS);
    const series = new Set(r.months.flatMap((m) => Object.keys(m.counts)));
    expect(series.size).toBe(CHART_ACCOUNTS + 1);
    expect(series.has(OTHER_ACCOUNTS)).toBe(true);
    // nothing lost: every transaction is in a listed month or counted as earlier
    const inMonths = r.months.reduce((a, m) => a + Object.values(m.counts).reduce((x, y) => x + y, 0), 0);
    expect(inMonths + r.earlierTransactions).toBe(r.transactions);
    expect(r.earlierMonths).toBe(20);
    expect(Buffer.byteLength(JSON.stringify(r))).toBeLessThan(60 * 1024);
  });

  it('ignores transactions without a usable date for the months, but counts them', () => {
    const o = new OverviewCollector();
    o.add('transactions', { accountId: 'a', date: 'soon' });
    const r = o.result();
    expect(r.accounts[0]).toEqual({ accountId: 'a', transactions: 1 });
    expect(r.months).toEqual([]);
  });
});

describe('valueText', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { valueText, MAX_VALUE_TEXT } = require('../../../functions/fzip/issues') as typeof import('../../../functions/fzip/issues');
  it('shows the value at a pointer as JSON text, bounded', () => {
    expect(valueText({ amount: 'twelve' }, '/amount')).toBe('"twelve"');
    expect(valueText({ rules: [{ 'a/b': 3 }] }, '/rules/0/a~1b')).toBe('3');
    expect(valueText({ amount: 'x' }, '/missing')).toBeUndefined();
    expect(valueText({ d: 'y'.repeat(500) }, '/d')).toHaveLength(MAX_VALUE_TEXT);
  });
});
