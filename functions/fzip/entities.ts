/** The five entity kinds of a package, in import order, with their file and id names. */

export const ENTITY_KINDS = ['accounts', 'categories', 'fileMaps', 'transactionFiles', 'transactions'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

export interface EntityInfo {
  kind: EntityKind;
  /** Base name under data/ (without .json / .json.gz). */
  fileBase: string;
  /** Key of the array in a packageFormat "json" document. */
  documentKey: string;
  idField: string;
  schemaId: string;
  /** dataSummary key in the manifest. */
  countKey: string;
  /** Export-only fields dropped on import. */
  decorations: readonly string[];
}

export const ENTITIES: Readonly<Record<EntityKind, EntityInfo>> = {
  accounts: {
    kind: 'accounts',
    fileBase: 'accounts',
    documentKey: 'accounts',
    idField: 'accountId',
    schemaId: 'account.schema.json',
    countKey: 'accountsCount',
    decorations: ['exportMetadata', 'computedFields'],
  },
  categories: {
    kind: 'categories',
    fileBase: 'categories',
    documentKey: 'categories',
    idField: 'categoryId',
    schemaId: 'category.schema.json',
    countKey: 'categoriesCount',
    decorations: ['exportMetadata', 'computedFields', 'hierarchyInfo'],
  },
  fileMaps: {
    kind: 'fileMaps',
    fileBase: 'file_maps',
    documentKey: 'fileMaps',
    idField: 'fileMapId',
    schemaId: 'file-map.schema.json',
    countKey: 'fileMapsCount',
    decorations: ['exportMetadata', 'computedFields'],
  },
  transactionFiles: {
    kind: 'transactionFiles',
    fileBase: 'transaction_files',
    documentKey: 'transactionFiles',
    idField: 'fileId',
    schemaId: 'transaction-file.schema.json',
    countKey: 'transactionFilesCount',
    decorations: ['exportMetadata', 'computedFields', 'fileStatusInfo', 'uploadDateFormatted', 'processedDateFormatted'],
  },
  transactions: {
    kind: 'transactions',
    fileBase: 'transactions',
    documentKey: 'transactions',
    idField: 'transactionId',
    schemaId: 'transaction.schema.json',
    countKey: 'transactionsCount',
    decorations: ['exportMetadata', 'computedFields', 'dateFormatted', 'categoryAssignments'],
  },
};

/** Data files that housef3 may write but that we do not import (read nowhere, reported as ignored). */
export const IGNORED_DATA_FILES = ['analytics'] as const;

export function entityByFileBase(base: string): EntityInfo | undefined {
  return Object.values(ENTITIES).find((e) => e.fileBase === base);
}
