import fc from 'fast-check';
import Ajv from 'ajv';
import { entityCheck } from '../../../functions/fzip/schema-validator';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_SCHEMAS, lengthKeyword, schemaAjv } from '../../../functions/fzip/schema-compiler';
import { renderValidators } from '../../../scripts/generate-validators';

const tx = (over: Record<string, unknown>) => ({
  transactionId: '0b1e4c1e-7a52-4c8e-9f3e-1b2c3d4e5f60',
  accountId: '0b1e4c1e-7a52-4c8e-9f3e-1b2c3d4e5f61',
  date: 1,
  description: 'd',
  amount: '1',
  ...over,
});

describe('the schema check', () => {
  it('counts maxLength in code points, like JSON Schema: 1,000 emoji fit a 1,000-character description, 1,001 do not', () => {
    expect(entityCheck('transactions')(tx({ description: '😀'.repeat(1000) }))).toBeUndefined();
    expect(entityCheck('transactions')(tx({ description: '😀'.repeat(1001) }))).toEqual({ field: '/description', message: 'must NOT have more than 1000 characters' });
    expect(entityCheck('transactions')(tx({ description: 'x'.repeat(1001) }))).toEqual({ field: '/description', message: 'must NOT have more than 1000 characters' });
  });

  it('counts minLength in code points: an empty category name is refused, one emoji is enough (an empty account name is fine, as in housef3)', () => {
    const category = { categoryId: '0b1e4c1e-7a52-4c8e-9f3e-1b2c3d4e5f60', type: 'EXPENSE', name: '' };
    expect(entityCheck('categories')(category)).toEqual({ field: '/name', message: 'must NOT have fewer than 1 characters' });
    expect(entityCheck('categories')({ ...category, name: '😀' })).toBeUndefined();
    expect(entityCheck('accounts')({ accountId: '0b1e4c1e-7a52-4c8e-9f3e-1b2c3d4e5f60', accountType: 'checking', accountName: '' })).toBeUndefined();
  });

  it('agrees with ajv\'s own length keywords on any string and any limit', () => {
    const stock = new Ajv({ strict: false });
    const ours = new Ajv({ strict: false });
    ours.removeKeyword('maxLength');
    ours.removeKeyword('minLength');
    ours.addKeyword(lengthKeyword);
    const unit = fc.oneof(fc.constantFrom('a', '😀', '\ud800', '\udc00', 'é'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 14 }), fc.nat(8), fc.constantFrom('maxLength', 'minLength'), (s, limit, keyword) => {
        const schema = { type: 'string', [keyword]: limit };
        expect(ours.validate(schema, s)).toBe(stock.validate(schema, s));
      }),
      { numRuns: 3000 },
    );
  });

  it('declares no property named like a member of Object.prototype (records are checked with plain property reads)', () => {
    const names = new Set<string>();
    const walk = (o: unknown): void => {
      if (o && typeof o === 'object') {
        const props = (o as { properties?: Record<string, unknown> }).properties;
        if (props) for (const k of Object.keys(props)) names.add(k);
        for (const v of Object.values(o)) walk(v);
      }
    };
    ALL_SCHEMAS.forEach(walk);
    expect(names.size).toBeGreaterThan(50);
    expect([...names].filter((n) => n in Object.prototype)).toEqual([]);
  });
});

describe('the validators compiled at build time', () => {
  it('are the code of the current schemas and ajv configuration (run npm run gen:validators after changing either)', () => {
    const root = join(__dirname, '../../..');
    expect(readFileSync(join(root, 'functions/fzip/validators.generated.ts'), 'utf8')).toBe(renderValidators());
  });

  it('judge records exactly as the schemas compiled at run time do', () => {
    const ajv = schemaAjv();
    const runtime = ajv.getSchema('transaction.schema.json')!;
    const samples = [
      tx({}),
      tx({ amount: '1e400' }),
      tx({ description: 'x'.repeat(1001) }),
      tx({ transactionId: 'not-a-uuid' }),
      tx({ constructor: 'x' }),
      tx({ extra_field: 1 }),
      { ...tx({}), date: undefined },
    ];
    const verdicts = samples.map((s) => runtime(s));
    expect(verdicts).toContain(true);
    expect(verdicts.filter((v) => !v).length).toBeGreaterThanOrEqual(4);
    for (const s of samples) {
      const ok = runtime(s);
      const check = entityCheck('transactions')(s);
      expect({ sample: s, valid: check === undefined }).toEqual({ sample: s, valid: ok });
    }
  });
});
