/**
 * ajv over the FZIP schemas, configured for untrusted input: reject rather than repair
 * (no coercion, no defaults, no removal), first error per record (no allErrors), $data off.
 */
import Ajv, { _, ErrorObject, KeywordCxt, KeywordDefinition, str, ValidateFunction } from 'ajv';
import { useFunc } from 'ajv/dist/compile/util';
import ucs2length from 'ajv/dist/runtime/ucs2length';
import commonSchema from './schemas/common.schema.json';
import manifestSchema from './schemas/manifest.schema.json';
import accountSchema from './schemas/account.schema.json';
import transactionSchema from './schemas/transaction.schema.json';
import categorySchema from './schemas/category.schema.json';
import fileMapSchema from './schemas/file-map.schema.json';
import transactionFileSchema from './schemas/transaction-file.schema.json';
import { ENTITIES, EntityKind } from './entities';

export const ALL_SCHEMAS = [
  commonSchema,
  manifestSchema,
  accountSchema,
  transactionSchema,
  categorySchema,
  fileMapSchema,
  transactionFileSchema,
] as const;

export interface SchemaFailure {
  /** JSON pointer of the offending field ('' for the record itself). */
  field: string;
  message: string;
}

export type RecordCheck = (value: unknown) => SchemaFailure | undefined;

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

let ajv: Ajv | undefined;
function instance(): Ajv {
  if (!ajv) {
    ajv = new Ajv({
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
    });
    ajv.removeKeyword('maxLength');
    ajv.removeKeyword('minLength');
    ajv.addKeyword(lengthKeyword);
    for (const s of ALL_SCHEMAS) ajv.addSchema(s as object);
  }
  return ajv;
}

function describe(err: ErrorObject): SchemaFailure {
  let field = err.instancePath;
  let message = err.message ?? 'is invalid';
  switch (err.keyword) {
    case 'required':
      field = `${field}/${(err.params as { missingProperty: string }).missingProperty}`;
      message = 'is required';
      break;
    case 'enum':
      message = `must be one of ${(err.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
      break;
    case 'propertyNames': {
      const name = (err.params as { propertyName?: string }).propertyName;
      if (name !== undefined) field = `${field}/${name}`;
      message = 'is not an allowed field name';
      break;
    }
    case 'pattern':
      message = 'has an invalid format';
      break;
    case 'anyOf':
      message = 'must have backupFormatVersion (or exportFormatVersion)';
      break;
    default:
      break;
  }
  return { field, message };
}

function checker(validate: ValidateFunction): RecordCheck {
  return (value) => {
    try {
      if (validate(value)) return undefined;
      const errors = validate.errors ?? [];
      // With propertyNames, ajv reports the name failure first and then the propertyNames error.
      const named = errors.find((e) => e.keyword === 'propertyNames');
      const primary = errors[0];
      if (named && primary) {
        const name = (named.params as { propertyName?: string }).propertyName;
        return { field: `${named.instancePath}/${name ?? ''}`, message: 'is not an allowed field name' };
      }
      return primary ? describe(primary) : { field: '', message: 'is invalid' };
    } catch (err) {
      // Deeply nested input can exhaust the stack inside ajv; report it as a record problem.
      return { field: '', message: `could not be validated (${(err as Error).message})` };
    }
  };
}

const cache = new Map<string, RecordCheck>();
function byId(id: string): RecordCheck {
  let c = cache.get(id);
  if (!c) {
    const v = instance().getSchema(id);
    if (!v) throw new Error(`schema ${id} is not registered`);
    c = checker(v);
    cache.set(id, c);
  }
  return c;
}

export function manifestCheck(): RecordCheck {
  return byId('manifest.schema.json');
}

export function entityCheck(kind: EntityKind): RecordCheck {
  return byId(ENTITIES[kind].schemaId);
}

/** Names of the properties a schema declares (known fields). */
export function declaredFields(kind: EntityKind): ReadonlySet<string> {
  const schema = ALL_SCHEMAS.find((s) => s.$id === ENTITIES[kind].schemaId) as { properties: Record<string, unknown> };
  return new Set(Object.keys(schema.properties));
}
