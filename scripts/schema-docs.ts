/**
 * Renders the field tables of docs/fzip-format.md from the JSON Schemas, between markers
 * <!-- BEGIN schema:FILE --> and <!-- END schema:FILE -->, so the public doc of the format
 * cannot drift from what the validator enforces.
 *   npm run gen:docs            rewrite the tables in place
 *   npm run gen:docs -- --check exit 1 when the doc is stale (used by the tests)
 */
import { readFileSync } from 'node:fs';
import { writeOrCheck } from './generated-file';
import { join } from 'node:path';

const SCHEMA_DIR = join(__dirname, '..', 'functions', 'fzip', 'schemas');
const DOC = join(__dirname, '..', 'docs', 'fzip-format.md');

type Schema = Record<string, unknown> & {
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
};

function load(file: string): Schema {
  return JSON.parse(readFileSync(join(SCHEMA_DIR, file), 'utf8')) as Schema;
}

const common = load('common.schema.json');

function resolve(s: Schema): { name?: string; schema: Schema } {
  if (s.$ref) {
    const name = s.$ref.split('/').pop() as string;
    return { name, schema: (common.definitions as Record<string, Schema>)[name] };
  }
  return { schema: s };
}

function typeOf(s: Schema): string {
  const { name, schema } = resolve(s);
  if (name) return name;
  const t = schema.type;
  if (t === 'array') {
    const inner = schema.items ? typeOf(schema.items) : 'any';
    return `${inner}[]`;
  }
  return Array.isArray(t) ? t.join(' \\| ') : (t ?? 'any');
}

function notes(s: Schema): string {
  const { name, schema } = resolve(s);
  const out: string[] = [];
  if (name === undefined) {
    if (schema.enum) out.push(`one of ${schema.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
    if (schema.minLength !== undefined) out.push(`min length ${schema.minLength}`);
    if (schema.maxLength !== undefined) out.push(`max length ${schema.maxLength}`);
    if (schema.minimum !== undefined) out.push(`≥ ${schema.minimum}`);
    if (schema.maximum !== undefined) out.push(`≤ ${schema.maximum}`);
    if (schema.minItems !== undefined) out.push(`at least ${schema.minItems} items`);
    if (schema.maxItems !== undefined) out.push(`at most ${schema.maxItems} items`);
    if (schema.description) out.push(String(schema.description));
  } else if (name === 'decoration' || name === 'formattedDate') {
    out.push('export-only, accepted and dropped');
  }
  return out.join('; ').replace(/\|/g, '\\|');
}

function rows(s: Schema, prefix: string, out: string[]): void {
  const required = new Set(s.required ?? []);
  for (const [field, prop] of Object.entries(s.properties ?? {})) {
    const name = `${prefix}${field}`;
    out.push(`| \`${name}\` | ${typeOf(prop)} | ${required.has(field) ? 'yes' : ''} | ${notes(prop)} |`);
    const { schema } = resolve(prop);
    if (schema.type === 'object' && schema.properties) rows(schema, `${name}.`, out);
    if (schema.type === 'array' && schema.items && resolve(schema.items).schema.properties) rows(resolve(schema.items).schema, `${name}[].`, out);
  }
}

export function renderTable(file: string): string {
  const s = load(file);
  if (file === 'common.schema.json') {
    const defs = Object.entries(s.definitions as Record<string, Schema>).map(
      ([name, d]) => `| \`${name}\` | ${typeOf({ ...d, $ref: undefined })} | ${notes(d)} |`,
    );
    return ['| type | JSON | rules |', '|---|---|---|', ...defs].join('\n');
  }
  const out = ['| field | type | required | rules |', '|---|---|---|---|'];
  rows(s, '', out);
  return out.join('\n');
}

export function renderDoc(doc: string): string {
  let blocks = 0;
  // an empty block (BEGIN and END on adjacent lines) matches too: it is filled, never skipped
  const out = doc.replace(/(<!-- BEGIN schema:([a-z-]+\.schema\.json) -->\n)[^]*?(<!-- END schema:\2 -->)/g, (_m, begin: string, file: string, end: string) => {
    blocks++;
    return `${begin}${renderTable(file)}\n${end}`;
  });
  const markers = (doc.match(/<!-- BEGIN schema:/g) ?? []).length;
  if (blocks !== markers) throw new Error(`docs/fzip-format.md has ${markers} BEGIN schema markers but ${blocks} well-formed blocks`);
  return out;
}

if (require.main === module) {
  writeOrCheck(DOC, renderDoc(readFileSync(DOC, 'utf8')), 'docs/fzip-format.md', 'npm run gen:docs');
}
