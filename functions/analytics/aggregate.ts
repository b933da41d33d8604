/**
 * Monthly analytics of a user's transactions, computed exactly (decimal, never a float), per
 * calendar month (UTC, of the transaction's date) and currency (never summed across currencies):
 *   - per account: inflow (the sum of positive amounts), outflow (the sum of negative amounts,
 *     as a positive number), net (inflow − outflow) and count;
 *   - per category (the transaction's primary category; "uncategorized" when it has none):
 *     total (the sum of amounts, signed) and count.
 * A transaction's currency is its own, else its account's, else "XXX" (ISO 4217's "no currency").
 * Pure: the rebuild streams the user's transactions through `add` and stores `result()`.
 */
import { parseDecimal } from '../fzip/money';

/** The calendar month (UTC) of an epoch-ms date: YYYY-MM. */
export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** Where transactions without a usable date are counted as skipped. */
export const UNDATED = 'undated';
export const UNCATEGORIZED = 'uncategorized';
export const NO_CURRENCY = 'XXX';

/** An exact decimal: units × 10^exp. */
export interface Exact {
  units: bigint;
  exp: number;
}

const ZERO: Exact = { units: 0n, exp: 0 };

export function exact(value: unknown): Exact | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const p = parseDecimal(value);
  if (!p) return undefined;
  const units = p.digits === '' ? 0n : BigInt(p.digits);
  return { units: p.negative ? -units : units, exp: p.digits === '' ? 0 : p.exponent };
}

export function plus(a: Exact, b: Exact): Exact {
  const exp = Math.min(a.exp, b.exp);
  return { units: a.units * 10n ** BigInt(a.exp - exp) + b.units * 10n ** BigInt(b.exp - exp), exp };
}

const negate = (a: Exact): Exact => ({ units: -a.units, exp: a.exp });

/** As decimal text with at least 2 decimals ("-1765.38", "0.00", "12.3456"). */
export function decimalText(a: Exact): string {
  let units = a.units;
  let exp = a.exp;
  while (exp < -2 && units % 10n === 0n) {
    units /= 10n;
    exp++;
  }
  if (exp > -2) {
    units *= 10n ** BigInt(exp + 2);
    exp = -2;
  }
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(-exp + 1, '0');
  return `${negative ? '-' : ''}${digits.slice(0, digits.length + exp)}.${digits.slice(digits.length + exp)}`;
}

export interface AccountFigures {
  inflow: string;
  outflow: string;
  net: string;
  count: number;
}

export interface CategoryFigures {
  total: string;
  count: number;
}

/** One month in one currency. */
export interface MonthAnalytics {
  month: string;
  currency: string;
  accounts: Record<string, AccountFigures>;
  categories: Record<string, CategoryFigures>;
}

interface Tally {
  accounts: Map<string, { inflow: Exact; outflow: Exact; count: number }>;
  categories: Map<string, { total: Exact; count: number }>;
}

export class AnalyticsBuilder {
  private readonly months = new Map<string, Tally>();
  /**
   * Transactions left out: no usable date, amount or account (the import's validator refuses
   * them; old data may hold some), by month (UNDATED when the date is what is missing), so that a
   * recompute of some months can replace their counts.
   */
  readonly skippedByMonth: Record<string, number> = {};

  constructor(private readonly accountCurrency: (accountId: string) => string | undefined = () => undefined) {}

  add(t: Record<string, unknown>): void {
    const amount = exact(t.amount);
    const ms = typeof t.date === 'number' ? t.date : Number(t.date);
    const dated = Number.isFinite(ms) && !Number.isNaN(new Date(ms).getTime());
    if (!amount || !dated || typeof t.accountId !== 'string') {
      const where = dated ? monthOf(ms) : UNDATED;
      this.skippedByMonth[where] = (this.skippedByMonth[where] ?? 0) + 1;
      return;
    }
    const month = monthOf(ms);
    const currency = (typeof t.currency === 'string' && t.currency) || this.accountCurrency(t.accountId) || NO_CURRENCY;
    const key = `${month}#${currency}`;
    let tally = this.months.get(key);
    if (!tally) this.months.set(key, (tally = { accounts: new Map(), categories: new Map() }));
    const acc = tally.accounts.get(t.accountId) ?? { inflow: ZERO, outflow: ZERO, count: 0 };
    if (amount.units >= 0n) acc.inflow = plus(acc.inflow, amount);
    else acc.outflow = plus(acc.outflow, negate(amount));
    acc.count++;
    tally.accounts.set(t.accountId, acc);
    const categoryId = typeof t.primaryCategoryId === 'string' && t.primaryCategoryId ? t.primaryCategoryId : UNCATEGORIZED;
    const cat = tally.categories.get(categoryId) ?? { total: ZERO, count: 0 };
    cat.total = plus(cat.total, amount);
    cat.count++;
    tally.categories.set(categoryId, cat);
  }

  get skipped(): number {
    return Object.values(this.skippedByMonth).reduce((a, b) => a + b, 0);
  }

  result(): MonthAnalytics[] {
    return [...this.months.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, t]) => {
        const [month, currency] = key.split('#');
        return {
          month,
          currency,
          accounts: Object.fromEntries(
            [...t.accounts.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, a]) => [
              id,
              { inflow: decimalText(a.inflow), outflow: decimalText(a.outflow), net: decimalText(plus(a.inflow, negate(a.outflow))), count: a.count },
            ]),
          ),
          categories: Object.fromEntries(
            [...t.categories.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([id, c]) => [id, { total: decimalText(c.total), count: c.count }]),
          ),
        };
      });
  }
}
