/**
 * Generates functions/fzip/types.generated.ts from the JSON Schemas, so the TypeScript types
 * at the edges can never drift from the schemas that ajv enforces at run time.
 *   npm run gen:types            rewrite the file
 *   npm run gen:types -- --check exit 1 when the committed file is stale (used by the tests)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSchemaTypes } from './schema-types';

const target = join(__dirname, '..', 'functions', 'fzip', 'types.generated.ts');
renderSchemaTypes()
  .then((text) => {
    if (process.argv.includes('--check')) {
      if (readFileSync(target, 'utf8') !== text) {
        console.error(`${target} is stale: run npm run gen:types`);
        process.exit(1);
      }
      console.log('types are up to date');
      return;
    }
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
  })
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
