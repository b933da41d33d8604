import fc from 'fast-check';
import { AnalyticsBuilder, decimalText, exact, NO_CURRENCY, plus, UNCATEGORIZED } from '../../../functions/analytics/aggregate';

const day = (d: string) => Date.parse(`${d}T12:00:00Z`);

describe('exact decimals', () => {
  it('adds without a float: 0.1 + 0.2 is 0.30', () => {
    expect(decimalText(plus(exact('0.1')!, exact('0.2')!))).toBe('0.30');
    expect(decimalText(plus(exact('-1765.38')!, exact('1E+3')!))).toBe('-765.38');
    expect(decimalText(exact('12.3456')!)).toBe('12.3456');
    expect(decimalText(exact('-0.5')!)).toBe('-0.50');
    expect(exact('twelve')).toBeUndefined();
  });

  it('sums any list of cents exactly (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -10_000_000, max: 10_000_000 }), { maxLength: 50 }), (cents) => {
        const texts = cents.map((c) => `${c < 0 ? '-' : ''}${Math.floor(Math.abs(c) / 100)}.${String(Math.abs(c) % 100).padStart(2, '0')}`);
        const sum = texts.reduce((a, t) => plus(a, exact(t)!), exact('0')!);
        const total = cents.reduce((a, c) => a + BigInt(c), 0n);
        const expected = `${total < 0n ? '-' : ''}${(total < 0n ? -total : total) / 100n}.${String((total < 0n ? -total : total) % 100n).padStart(2, '0')}`;
        expect(decimalText(sum)).toBe(expected);
      }),
    );
  });
});

describe('AnalyticsBuilder', () => {
  it('per month and currency: accounts in/out/net/count, categories total/count, uncategorized', () => {
    const b = new AnalyticsBuilder((id) => (id === 'eur' ? 'EUR' : undefined));
    b.add({ accountId: 'a', date: day('2024-01-31'), amount: '100.10', currency: 'GBP', primaryCategoryId: 'salary' });
    b.add({ accountId: 'a', date: day('2024-01-02'), amount: '-20.05', currency: 'GBP', primaryCategoryId: 'food' });
    b.add({ accountId: 'a', date: day('2024-01-03'), amount: '-0.95', currency: 'GBP' });
    b.add({ accountId: 'eur', date: day('2024-01-03'), amount: '-5' });
    b.add({ accountId: 'x', date: day('2024-02-01'), amount: '1' });
    b.add({ accountId: 'x', date: 'never', amount: '1' });
    expect(b.result()).toEqual([
      { month: '2024-01', currency: 'EUR', accounts: { eur: { inflow: '0.00', outflow: '5.00', net: '-5.00', count: 1 } }, categories: { [UNCATEGORIZED]: { total: '-5.00', count: 1 } } },
      {
        month: '2024-01',
        currency: 'GBP',
        accounts: { a: { inflow: '100.10', outflow: '21.00', net: '79.10', count: 3 } },
        categories: { food: { total: '-20.05', count: 1 }, salary: { total: '100.10', count: 1 }, [UNCATEGORIZED]: { total: '-0.95', count: 1 } },
      },
      { month: '2024-02', currency: NO_CURRENCY, accounts: { x: { inflow: '1.00', outflow: '0.00', net: '1.00', count: 1 } }, categories: { [UNCATEGORIZED]: { total: '1.00', count: 1 } } },
    ]);
    expect(b.skipped).toBe(1);
  });
});
