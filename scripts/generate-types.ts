/**
 * Generates functions/fzip/types.generated.ts from the JSON Schemas, so the TypeScript types
 * at the edges can never drift from the schemas that ajv enforces at run time.
 *   npm run gen:types            rewrite the file
 *   npm run gen:types -- --check exit 1 when the committed file is stale (used by the tests)
 */
import { writeOrCheck } from './generated-file';
import { join } from 'node:path';
import { renderSchemaTypes } from './schema-types';

const target = join(__dirname, '..', 'functions', 'fzip', 'types.generated.ts');
renderSchemaTypes()
  .then((text) => {
    writeOrCheck(target, text, 'functions/fzip/types.generated.ts', 'npm run gen:types');
  })
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
