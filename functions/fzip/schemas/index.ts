/** The FZIP format's JSON Schemas (the public contract), in the order they are registered. */
import commonSchema from './common.schema.json';
import manifestSchema from './manifest.schema.json';
import accountSchema from './account.schema.json';
import transactionSchema from './transaction.schema.json';
import categorySchema from './category.schema.json';
import fileMapSchema from './file-map.schema.json';
import transactionFileSchema from './transaction-file.schema.json';
import analyticsSchema from './analytics.schema.json';

export const ALL_SCHEMAS = [
  commonSchema,
  manifestSchema,
  accountSchema,
  transactionSchema,
  categorySchema,
  fileMapSchema,
  transactionFileSchema,
  analyticsSchema,
] as const;
