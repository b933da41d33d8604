/**
 * The record checks of the FZIP schemas: ajv's code for them, compiled at build time
 * (validators.generated.ts, from the configuration in schema-compiler.ts), so no schema is
 * compiled at cold start. Errors are turned into one field and one message per record.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import * as compiled from './validators.generated';
import { ALL_SCHEMAS } from './schemas';
import { DERIVED_DATA, DerivedData, ENTITIES, EntityKind } from './entities';

export interface SchemaFailure {
  /** JSON pointer of the offending field ('' for the record itself). */
  field: string;
  message: string;
}

export type RecordCheck = (value: unknown) => SchemaFailure | undefined;

/** The compiled validator of each schema, by its $id. */
const VALIDATORS: Record<string, ValidateFunction> = {
  'manifest.schema.json': compiled.manifest,
  'account.schema.json': compiled.account,
  'transaction.schema.json': compiled.transaction,
  'category.schema.json': compiled.category,
  'file-map.schema.json': compiled.fileMap,
  'transaction-file.schema.json': compiled.transactionFile,
  'analytics.schema.json': compiled.analytics,
} as unknown as Record<string, ValidateFunction>;

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
    const v = VALIDATORS[id];
    if (!v) throw new Error(`schema ${id} has no compiled validator: run npm run gen:validators`);
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

export function derivedCheck(name: DerivedData): RecordCheck {
  return byId(DERIVED_DATA[name].schemaId);
}

/** Names of the properties a schema declares (known fields). */
export function declaredFields(kind: EntityKind): ReadonlySet<string> {
  const schema = ALL_SCHEMAS.find((s) => s.$id === ENTITIES[kind].schemaId) as { properties: Record<string, unknown> };
  return new Set(Object.keys(schema.properties));
}
