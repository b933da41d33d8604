import { canonicalDecimal, moneyProblem, parseDecimal, sameMoney } from '../../../functions/fzip/money';
import { attributeValueSize, dynamoItemSize } from '../../../functions/fzip/item-size';

describe('money: exact decimals in a sane range', () => {
  it.each(['0', '-12.34', '1234.50', '1E+2', '999999999999999', '-999999999999999.999999999999', '0.000000000001', '1.000000000000000000', 12, -7])(
    'accepts %p',
    (v) => expect(moneyProblem(v)).toBeUndefined(),
  );

  it.each([
    ['1e400', /out of range/],
    ['1E+15', /out of range/],
    ['1000000000000000', /out of range/],
    ['-1000000000000000.5', /out of range/],
    ['1e-24', /decimal places/],
    ['0.000000000000000000000001', /decimal places/],
    ['1e9999999', /finite/],
    ['abc', /finite/],
    [Number.POSITIVE_INFINITY, /finite/],
  ])('refuses %p', (v, why) => expect(moneyProblem(v)).toMatch(why));

  it('compares amounts by value, not by text', () => {
    expect(sameMoney('10.5', '10.50')).toBe(true);
    expect(sameMoney('1E+1', '10')).toBe(true);
    expect(sameMoney('-0', '0.00')).toBe(true);
    expect(sameMoney(12, '12.0')).toBe(true);
    expect(sameMoney('10.5', '10.51')).toBe(false);
    expect(sameMoney('-1', '1')).toBe(false);
  });

  it('writes the canonical text of a decimal', () => {
    expect(canonicalDecimal('0012.3400')).toBe('12.34');
    expect(canonicalDecimal('1.5E-3')).toBe('0.0015');
    expect(canonicalDecimal('-2.50E+2')).toBe('-250');
    expect(parseDecimal('.5')).toEqual({ negative: false, digits: '5', exponent: -1 });
  });
});

describe('DynamoDB item size', () => {
  it('counts names and values the way DynamoDB documents it', () => {
    expect(dynamoItemSize({ a: 'xyz' })).toBe(4);
    expect(dynamoItemSize({ é: 'é' })).toBe(4); // UTF-8 bytes
    expect(attributeValueSize(true)).toBe(1);
    expect(attributeValueSize(null)).toBe(1);
    expect(attributeValueSize(12345)).toBe(4);
    expect(attributeValueSize([])).toBe(3);
    expect(attributeValueSize(['ab', 1])).toBe(3 + 1 + 2 + 1 + 2);
    expect(attributeValueSize({ k: 'v' })).toBe(3 + 1 + 1 + 1);
  });
});
