import { JsonElementSplitter, JsonScanError, JsonElement } from '../../../functions/fzip/json/element-splitter';

const opts = { maxElementChars: 10_000, maxDepth: 8 };

function splitAll(text: string, chunk: number, o: Partial<typeof opts> & { objectRoot?: boolean } = {}): JsonElement[] {
  const s = new JsonElementSplitter({ ...opts, ...o });
  const out: JsonElement[] = [];
  for (let i = 0; i < text.length; i += chunk) out.push(...s.write(text.slice(i, i + chunk)));
  out.push(...s.end());
  return out;
}

function scanError(text: string, o: Partial<typeof opts> & { objectRoot?: boolean } = {}): JsonScanError {
  try {
    splitAll(text, 3, o);
  } catch (e) {
    return e as JsonScanError;
  }
  throw new Error('expected a JsonScanError');
}

describe('JsonElementSplitter', () => {
  const doc = JSON.stringify(
    [{ a: 1, s: 'x]}"\\\\"{[', n: [1, 2, { d: null }] }, 'str', 42, true, null, { e: {} }],
    null,
    2,
  );

  it.each([1, 2, 7, 1000])('cuts a top-level array into elements whatever the chunk size (%i)', (chunk) => {
    const els = splitAll(doc, chunk);
    expect(els.map((e) => JSON.parse(e.text))).toEqual(JSON.parse(doc));
    expect(els.map((e) => e.index)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('keeps uint64 and decimal numbers exact by turning them into strings', () => {
    const els = splitAll('[{"transactionHash": 13218515797719547195, "amount": 12.50, "e": 1E+2, "t": 1704067200000, "neg": -0.10}]', 5);
    expect(JSON.parse(els[0].text)).toEqual({
      transactionHash: '13218515797719547195',
      amount: '12.50',
      e: '1E+2',
      t: 1704067200000,
      neg: '-0.10',
    });
  });

  it('leaves malformed numbers for JSON.parse to reject', () => {
    const els = splitAll('[{"a": 1.2.3}, {"b": 0123.5}]', 4);
    expect(() => JSON.parse(els[0].text)).toThrow();
    expect(() => JSON.parse(els[1].text)).toThrow();
  });

  it('handles an empty array and surrounding whitespace', () => {
    expect(splitAll(' \n [ ] \n', 1)).toEqual([]);
  });

  it('yields the arrays and values of an object root, tagged with their keys', () => {
    const els = splitAll('{"manifest": {"v": "1.0"}, "accounts": [{"x": 1}, {"x": 2}], "empty": [], "n": 5}', 3, { objectRoot: true });
    expect(els.map((e) => [e.key, e.index, e.whole ?? false, JSON.parse(e.text)])).toEqual([
      ['manifest', 0, true, { v: '1.0' }],
      ['accounts', 0, false, { x: 1 }],
      ['accounts', 1, false, { x: 2 }],
      ['n', 0, true, 5],
    ]);
  });

  it.each([
    ['{"a": 1}', 'INVALID_DATA_FILE'],
    ['', 'INVALID_DATA_FILE'],
    ['\ufeff[]', 'INVALID_DATA_FILE'],
    ['[{"a": 1}', 'INVALID_JSON'],
    ['[{"a": 1},]', 'INVALID_JSON'],
    ['[{"a": 1} {"b": 2}]', 'INVALID_JSON'],
    ['[] []', 'INVALID_JSON'],
    ['[{"a": "unterminated]', 'INVALID_JSON'],
    ['[[[[[[[[[[1]]]]]]]]]]', 'RECORD_TOO_DEEP'],
  ])('rejects %j with %s', (text, code) => {
    expect(scanError(text).code).toBe(code);
  });

  it('rejects a record above the size limit, naming its index', () => {
    const err = scanError(`[{"a": 1}, {"big": "${'x'.repeat(200)}"}]`, { maxElementChars: 100 });
    expect(err.code).toBe('RECORD_TOO_LARGE');
    expect(err.index).toBe(1);
  });
});
