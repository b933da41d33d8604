/**
 * Money as exact decimals. Packages write money as decimal strings (Python's str(Decimal), with
 * or without an exponent) or as JSON integers; we keep the text as written and never go
 * through a float. This module parses that text to (sign, digits, exponent) to check the sane
 * range and to compare amounts by value ("10.5" equals "10.50", "1E+1" equals "10").
 */

/** At most this many digits before the decimal point once the exponent is applied (|x| < 10^15). */
export const MONEY_MAX_INTEGER_DIGITS = 15;
/**
 * At most this many significant digits after the decimal point (trailing zeros do not count):
 * with the 15 before it, 38 significant digits, what a DynamoDB number holds exactly. housef3
 * keeps any Decimal; we refuse only what could not be stored and read back exactly.
 */
export const MONEY_MAX_FRACTION_DIGITS = 23;

export interface ParsedDecimal {
  negative: boolean;
  /** Significant digits without leading or trailing zeros ('' for zero). */
  digits: string;
  /** value = digits × 10^exponent. */
  exponent: number;
}

const DECIMAL_RE = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$/;

/** The decimal a money text (or JSON integer) stands for; undefined when it is not a finite decimal. */
export function parseDecimal(value: string | number): ParsedDecimal | undefined {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    text = String(value);
  } else {
    text = value;
  }
  if (text.length > 64) return undefined;
  const m = DECIMAL_RE.exec(text);
  if (!m) return undefined;
  const [, sign, intPart = '', fracPart = '', expPart] = m;
  if (intPart === '' && fracPart === '') return undefined;
  if (expPart !== undefined && expPart.replace(/^[+-]/, '').length > 6) return undefined;
  let digits = intPart + fracPart;
  let exponent = (expPart ? Number(expPart) : 0) - fracPart.length;
  digits = digits.replace(/^0+/, '');
  const trailing = digits.length - digits.replace(/0+$/, '').length;
  digits = digits.slice(0, digits.length - trailing);
  exponent += trailing;
  if (digits === '') return { negative: false, digits: '', exponent: 0 };
  return { negative: sign === '-', digits, exponent };
}

/** Plain decimals within range by their form alone (most amounts): no need to parse them. */
const PLAIN_IN_RANGE = /^-?[0-9]{1,15}(?:\.[0-9]{1,23})?$/;

/** Why a money value is outside the range we store, or undefined when it is fine. */
export function moneyProblem(value: unknown): string | undefined {
  if (typeof value === 'string' && PLAIN_IN_RANGE.test(value)) return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') return 'is not a decimal amount';
  const d = parseDecimal(value);
  if (!d) return 'is not a finite decimal amount';
  const integerDigits = d.digits.length + d.exponent;
  const fractionDigits = Math.max(0, -d.exponent);
  if (integerDigits > MONEY_MAX_INTEGER_DIGITS) {
    return `is out of range: amounts must be smaller than 10^${MONEY_MAX_INTEGER_DIGITS} in absolute value`;
  }
  if (fractionDigits > MONEY_MAX_FRACTION_DIGITS) {
    return `has more than ${MONEY_MAX_FRACTION_DIGITS} decimal places`;
  }
  return undefined;
}

/** The canonical text of a decimal ("10.50" -> "10.5", "1E+1" -> "10", "-0" -> "0"). */
export function canonicalDecimal(value: string | number): string | undefined {
  const d = parseDecimal(value);
  if (!d) return undefined;
  if (d.digits === '') return '0';
  let body: string;
  if (d.exponent >= 0) body = d.digits + '0'.repeat(d.exponent);
  else {
    const point = d.digits.length + d.exponent;
    body = point > 0 ? `${d.digits.slice(0, point)}.${d.digits.slice(point)}` : `0.${'0'.repeat(-point)}${d.digits}`;
  }
  return (d.negative ? '-' : '') + body;
}

/** Equal as decimals (both must parse); plain equality otherwise. */
export function sameMoney(a: unknown, b: unknown): boolean {
  if ((typeof a === 'string' || typeof a === 'number') && (typeof b === 'string' || typeof b === 'number')) {
    const ca = canonicalDecimal(a);
    const cb = canonicalDecimal(b);
    if (ca !== undefined && cb !== undefined) return ca === cb;
  }
  return a === b;
}
