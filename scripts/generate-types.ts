/**
 * Generates functions/fzip/types.generated.ts from the JSON Schemas, so the TypeScript types
 * at the edges can never drift from the schemas that ajv enforces at run time.
 * Run: npm run gen:types (a unit test fails when the committed file is stale).
 */
import { writeFileSync } from 'node:fs';
import { renderSchemaTypes } from './schema-types';

const target = `${__dirname}/../functions/fzip/types.generated.ts`;
renderSchemaTypes()
  .then((text) => {
    writeFileSync(target, text);
    console.log(`wrote ${target}`);
  })
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
