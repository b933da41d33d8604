import { countKeys, findDuplicateKey } from '../../../functions/fzip/json/duplicate-keys';
import fc from 'fast-check';
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

  it('refuses a key twice at the top of an object root (two "accounts" arrays, two manifests)', () => {
    expect(scanError('{"manifest": {"v": "1.0"}, "accounts": [], "accounts": [{"x": 1}]}', { objectRoot: true })).toMatchObject({ code: 'DUPLICATE_KEY' });
    expect(scanError('{"manifest": {"v": "1.0"}, "manifest": {"v": "2.0"}}', { objectRoot: true }).message).toContain('"manifest" twice');
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

describe('JsonElementSplitter: input that costs to read but says nothing', () => {
  /** Feeds a document in chunks and counts the characters it was given before it failed. */
  function feedUntilError(parts: () => Generator<string>, o: Record<string, number> = {}): { error: JsonScanError; fed: number } {
    const s = new JsonElementSplitter({ ...opts, ...o });
    let fed = 0;
    try {
      for (const p of parts()) {
        fed += p.length;
        s.write(p);
      }
      s.end();
    } catch (e) {
      return { error: e as JsonScanError, fed };
    }
    throw new Error('expected a JsonScanError');
  }

  it('refuses a run of whitespace between records longer than the limit (a gzip of gigabytes of spaces is tiny)', () => {
    const { error, fed } = feedUntilError(function* () {
      yield '[{"a":1},';
      for (let i = 0; i < 1000; i++) yield ' '.repeat(64 * 1024);
      yield '{"a":2}]';
    });
    expect(error).toMatchObject({ code: 'INVALID_DATA_FILE', message: expect.stringContaining('whitespace in a row') });
    expect(fed).toBeLessThan(2 << 20);
    // pretty-printed documents are far below it
    expect(splitAll(JSON.stringify([{ a: 1 }, { b: [1, 2] }], null, 8), 3, { maxGapChars: 64 } as never)).toHaveLength(2);
  });

  it('refuses a string of backslashes or a number token longer than a record may be as soon as it is, not at the end of the input', () => {
    for (const [open, ch] of [['"', '\\'], ['', '1']]) {
      const { error, fed } = feedUntilError(function* () {
        yield `[{"a":${open}`;
        for (let i = 0; i < 2000; i++) yield ch.repeat(8192);
      });
      expect(error.code).toBe('RECORD_TOO_LARGE');
      expect(fed).toBeLessThan(opts.maxElementChars + 3 * 8192);
    }
  });
});

describe('JsonElementSplitter agrees with JSON.parse (property tests)', () => {
  /** What the splitter yields for a value: numbers JSON.parse could corrupt (a fraction, an exponent, more than 15 digits) as their exact text. */
  function expected(v: unknown): unknown {
    if (typeof v === 'number') {
      const t = JSON.stringify(v);
      // JSON.stringify(-0) is "0": the text holds no sign to keep
      return /[.eE]/.test(t) || t.replace('-', '').length > 15 ? t : Object.is(v, -0) ? 0 : v;
    }
    if (Array.isArray(v)) return v.map(expected);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expected(x)]));
    return v;
  }

  const value = fc.jsonValue({ maxDepth: 5 });
  const unicodeValue = fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' });

  it('cuts any array of JSON values into its elements, whatever the whitespace and chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(value, unicodeValue), { maxLength: 12 }), fc.constantFrom(undefined, 1, 2, '\t'), fc.integer({ min: 1, max: 64 }), (arr, indent, chunk) => {
        const text = JSON.stringify(arr, null, indent);
        const els = splitAll(text, chunk, { maxElementChars: 1_000_000, maxDepth: 10 });
        expect(els.map((e) => e.index)).toEqual(arr.map((_, i) => i));
        expect(els.map((e) => JSON.parse(e.text))).toEqual(arr.map(expected));
        // each element's key count is exactly its parsed keys (no key repeats in a stringified value)
        expect(els.map((e) => e.keys)).toEqual(els.map((e) => countKeys(JSON.parse(e.text))));
      }),
      { numRuns: 300 },
    );
  });

  it('finds a repeated key in any object of any value, and names its path', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), value, { minKeys: 1, maxKeys: 5 }), (obj) => {
        const text = JSON.stringify(obj);
        const key = Object.keys(obj)[0];
        const doubled = `{${JSON.stringify(key)}:1,${text.slice(1)}`;
        expect(findDuplicateKey(text)).toBeUndefined();
        expect(findDuplicateKey(doubled)).toEqual({ key, pointer: `/${key.replace(/~/g, '~0').replace(/\//g, '~1')}` });
        const el = splitAll(`[${doubled}]`, 7, { maxElementChars: 1_000_000, maxDepth: 10 })[0];
        expect(el.keys).toBe(countKeys(JSON.parse(doubled)) + 1);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps every number of any shape exact', () => {
    const numberText = fc
      .tuple(fc.boolean(), fc.stringMatching(/^(0|[1-9][0-9]{0,30})$/), fc.option(fc.stringMatching(/^[0-9]{1,20}$/)), fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.stringMatching(/^[0-9]{1,4}$/))))
      .map(([neg, int, frac, exp]) => `${neg ? '-' : ''}${int}${frac ? `.${frac}` : ''}${exp ? exp.join('') : ''}`);
    fc.assert(
      fc.property(fc.array(numberText, { minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 16 }), (nums, chunk) => {
        const els = splitAll(`[${nums.map((n) => `{"n": ${n}}`).join(',')}]`, chunk);
        els.forEach((e, i) => {
          const got = (JSON.parse(e.text) as { n: unknown }).n;
          // exact: either the source text itself, or a number whose text is the source text
          expect(typeof got === 'string' ? got : JSON.stringify(got)).toBe(nums[i]);
        });
      }),
      { numRuns: 500 },
    );
  });

  it('on any input either yields elements or throws its own JsonScanError, and never hangs', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.jsonValue().map((v) => JSON.stringify([v]).slice(0, -1))), fc.integer({ min: 1, max: 8 }), (text, chunk) => {
        try {
          splitAll(text, chunk);
        } catch (err) {
          expect(err).toBeInstanceOf(JsonScanError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
