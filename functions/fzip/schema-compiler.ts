/**
 * The one ajv configuration of the FZIP schemas, configured for untrusted input: reject rather
 * than repair (no coercion, no defaults, no removal), first error per record (no allErrors),
 * $data off. scripts/generate-validators.ts compiles it to code at build time
 * (validators.generated.ts), so a Lambda never compiles schemas at cold start.
 */
import Ajv, { _, KeywordCxt, KeywordDefinition, str } from 'ajv';
import { useFunc } from 'ajv/dist/compile/util';
import ucs2length from 'ajv/dist/runtime/ucs2length';
import { ALL_SCHEMAS } from './schemas';

export { ALL_SCHEMAS };

/**
 * maxLength and minLength exactly as ajv defines them (in code points), but counting code
 * points only when the UTF-16 length cannot decide: a string has at most as many code points
 * as UTF-16 units and at least half as many. ajv's own keyword counts every string, which was
 * a third of the schema check's time.
 */
export const lengthKeyword: KeywordDefinition = {
  keyword: ['maxLength', 'minLength'],
  type: 'string',
  schemaType: 'number',
  $data: false,
  error: {
    message: ({ keyword, schemaCode }) => str`must NOT have ${keyword === 'maxLength' ? 'more' : 'fewer'} than ${schemaCode} characters`,
    params: ({ schemaCode }) => _`{limit: ${schemaCode}}`,
  },
  code(cxt: KeywordCxt) {
    const { keyword, data, schemaCode, gen } = cxt;
    const count = useFunc(gen, ucs2length);
    cxt.fail(
      keyword === 'maxLength'
        ? _`${data}.length > ${schemaCode} && ${count}(${data}) > ${schemaCode}`
        : _`${data}.length < ${schemaCode} || (${data}.length < 2 * ${schemaCode} && ${count}(${data}) < ${schemaCode})`,
    );
  },
};

/** ajv with every FZIP schema registered; `source` keeps the generated code for standalone output. */
export function schemaAjv(opts: { source?: boolean } = {}): Ajv {
  const ajv = new Ajv({
    strict: true,
    strictTypes: false, // money/transactionHash are deliberately string-or-integer
    strictRequired: false, // the manifest's anyOf names required keys declared one level up
    allErrors: false,
    coerceTypes: false,
    useDefaults: false,
    removeAdditional: false,
    $data: false,
    // Records come from JSON.parse (no inherited properties) and no declared property name is
    // one of Object.prototype's (a test checks), so plain property reads are exact and faster.
    ownProperties: false,
    allowUnionTypes: true,
    code: { source: opts.source ?? false, optimize: true, lines: opts.source ?? false, esm: opts.source ?? false },
  });
  ajv.removeKeyword('maxLength');
  ajv.removeKeyword('minLength');
  ajv.addKeyword(lengthKeyword);
  for (const s of ALL_SCHEMAS) ajv.addSchema(s as object);
  return ajv;
}
