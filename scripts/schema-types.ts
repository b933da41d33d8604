import { compile, JSONSchema } from 'json-schema-to-typescript';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SCHEMA_DIR = join(__dirname, '..', 'functions', 'fzip', 'schemas');
const SCHEMAS = [
  'manifest.schema.json',
  'account.schema.json',
  'transaction.schema.json',
  'category.schema.json',
  'file-map.schema.json',
  'transaction-file.schema.json',
];

const OPTIONS = { cwd: SCHEMA_DIR, bannerComment: '', additionalProperties: true, format: false } as const;

function load(file: string): JSONSchema {
  return JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as JSONSchema;
}

/** Renders the TypeScript declarations of every FZIP schema as one module's text. */
export async function renderSchemaTypes(): Promise<string> {
  const parts = ['/* Generated from functions/fzip/schemas by `npm run gen:types`. Do not edit. */\n'];
  // The shared definitions once, through a schema that references each of them...
  const common = load('common.schema.json');
  const names = Object.keys(common.definitions ?? {});
  const holder: JSONSchema = {
    title: 'FzipCommonDefinitions',
    type: 'object',
    properties: Object.fromEntries(names.map((n) => [n, { $ref: `common.schema.json#/definitions/${n}` }])),
    additionalProperties: false,
  };
  parts.push(await compile(holder, 'FzipCommonDefinitions', { ...OPTIONS, declareExternallyReferenced: true }));
  // ...then each schema, referring to those by name.
  for (const file of SCHEMAS) {
    const schema = load(file);
    parts.push(await compile(schema, String(schema.title), { ...OPTIONS, declareExternallyReferenced: false }));
  }
  return parts.join('\n');
}
