/**
 * statemachine/import.asl.json — the definition CDK deploys and the local stack runs — is
 * generated from statemachine/import.asl.source.json, where every Task names its retry policy
 * (`"Retry": { "$policy": "lambda" }`) instead of repeating it: the policies live once, under
 * `$retryPolicies`. The generated file is what the Step Functions console shows, unchanged.
 *
 *   npm run gen:asl             write statemachine/import.asl.json
 *   npm run gen:asl -- --check  exit 1 when it is stale (a test runs this)
 */
import { readFileSync } from 'node:fs';
import { writeOrCheck } from './generated-file';
import { join } from 'node:path';

const DIR = join(__dirname, '..', 'statemachine');
export const SOURCE = join(DIR, 'import.asl.source.json');
export const OUTPUT = join(DIR, 'import.asl.json');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The definition with every `{ "$policy": name }` replaced by that retry policy. */
export function expandAsl(source: { $retryPolicies: Record<string, Json> } & Record<string, Json>): Record<string, Json> {
  const { $retryPolicies: policies, ...definition } = source;
  const used = new Set<string>();
  const expand = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(expand);
    if (v && typeof v === 'object') {
      if (typeof v.$policy === 'string' && Object.keys(v).length === 1) {
        const policy = policies[v.$policy];
        if (policy === undefined) throw new Error(`no retry policy named ${v.$policy} in $retryPolicies`);
        used.add(v.$policy);
        return JSON.parse(JSON.stringify(policy)) as Json;
      }
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expand(x)]));
    }
    return v;
  };
  const out = expand(definition) as Record<string, Json>;
  const unused = Object.keys(policies).filter((p) => !used.has(p));
  if (unused.length) throw new Error(`retry policies never used: ${unused.join(', ')}`);
  return out;
}

export function renderAsl(): string {
  return `${JSON.stringify(expandAsl(JSON.parse(readFileSync(SOURCE, 'utf8'))), null, 2)}\n`;
}

if (require.main === module) writeOrCheck(OUTPUT, renderAsl(), 'statemachine/import.asl.json', 'npm run gen:asl');
