/**
 * The five entity kinds of a package, in import order, with everything the code needs to know
 * about each: file and id names, what its records refer to, its money fields, whether its
 * records carry a file's bytes, and the names of its table. Code elsewhere loops over
 * ENTITY_KINDS and reads these facts; a new kind is added here (see docs/extending.md).
 */

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
  /** Decimal fields (money): kept as exact strings. */
  moneyFields: readonly string[];
  /** Fields (besides another kind's idField) that hold the id of a record of a kind; `a[].b`: field b of each element of array a. */
  referenceFields: Readonly<Record<string, EntityKind>>;
  /** Each record comes with the bytes of a file (files/{id}/{fileName} in a package). */
  carriesFile: boolean;
  /** The field that names a record for people (conflicts, errors). */
  titleField: string;
  /** Its place when a package is validated: referenced kinds before the kinds that refer to them. */
  readOrder: number;
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
    moneyFields: ['balance'],
    referenceFields: { defaultFileMapId: 'fileMaps' },
    carriesFile: false,
    titleField: 'accountName',
    readOrder: 0,
  },
  categories: {
    kind: 'categories',
    fileBase: 'categories',
    documentKey: 'categories',
    idField: 'categoryId',
    schemaId: 'category.schema.json',
    countKey: 'categoriesCount',
    decorations: ['exportMetadata', 'computedFields', 'hierarchyInfo'],
    moneyFields: [],
    referenceFields: { parentCategoryId: 'categories' },
    carriesFile: false,
    titleField: 'name',
    readOrder: 2,
  },
  fileMaps: {
    kind: 'fileMaps',
    fileBase: 'file_maps',
    documentKey: 'fileMaps',
    idField: 'fileMapId',
    schemaId: 'file-map.schema.json',
    countKey: 'fileMapsCount',
    decorations: ['exportMetadata', 'computedFields'],
    moneyFields: [],
    referenceFields: {},
    carriesFile: false,
    titleField: 'name',
    readOrder: 1,
  },
  transactionFiles: {
    kind: 'transactionFiles',
    fileBase: 'transaction_files',
    documentKey: 'transactionFiles',
    idField: 'fileId',
    schemaId: 'transaction-file.schema.json',
    countKey: 'transactionFilesCount',
    decorations: ['exportMetadata', 'computedFields', 'fileStatusInfo', 'uploadDateFormatted', 'processedDateFormatted'],
    moneyFields: ['openingBalance', 'closingBalance'],
    referenceFields: {},
    carriesFile: true,
    titleField: 'fileName',
    readOrder: 3,
  },
  transactions: {
    kind: 'transactions',
    fileBase: 'transactions',
    documentKey: 'transactions',
    idField: 'transactionId',
    schemaId: 'transaction.schema.json',
    countKey: 'transactionsCount',
    decorations: ['exportMetadata', 'computedFields', 'dateFormatted', 'categoryAssignments'],
    moneyFields: ['amount', 'balance'],
    referenceFields: { primaryCategoryId: 'categories', 'categories[].categoryId': 'categories' },
    carriesFile: false,
    titleField: 'description',
    readOrder: 4,
  },
};

/**
 * Derived data files: figures computed from the records (housef3's `includeAnalytics`). An
 * import checks them against their schema and never imports them: the importing side recomputes
 * its own from the transactions it holds (docs/analytics.md).
 */
export const DERIVED_DATA = { analytics: { fileBase: 'analytics', documentKey: 'analytics', schemaId: 'analytics.schema.json' } } as const;
export type DerivedData = keyof typeof DERIVED_DATA;

export function entityByFileBase(base: string): EntityInfo | undefined {
  return Object.values(ENTITIES).find((e) => e.fileBase === base);
}

/** Kinds in the order a package is validated in. */
export const READ_ORDER: readonly EntityKind[] = [...ENTITY_KINDS].sort((a, b) => ENTITIES[a].readOrder - ENTITIES[b].readOrder);

/** The kind whose records carry statement files' bytes. */
export const FILE_KIND: EntityKind = ENTITY_KINDS.find((k) => ENTITIES[k].carriesFile)!;

/** The kinds other kinds refer to: every kind but transactions (which nothing refers to, and which are most of the data). */
export type ReferenceKind = Exclude<EntityKind, 'transactions'>;
export const REFERENCE_KINDS: readonly ReferenceKind[] = ENTITY_KINDS.filter((k): k is ReferenceKind => k !== 'transactions');

/** A count of 0 for every kind. */
export function zeroCounts(): Record<EntityKind, number> {
  return Object.fromEntries(ENTITY_KINDS.map((k) => [k, 0])) as Record<EntityKind, number>;
}

/** The sum of counts over every kind. */
export function totalCount(counts: Partial<Record<EntityKind, number>>): number {
  return ENTITY_KINDS.reduce((sum, k) => sum + (counts[k] ?? 0), 0);
}

/** A kind's name in other spellings: PascalCase for CDK ids, kebab-case for table names, the environment variable of its table. */
export function kindNames(kind: EntityKind): { pascal: string; kebab: string; tableEnv: string } {
  const base = ENTITIES[kind].fileBase;
  return {
    pascal: kind[0].toUpperCase() + kind.slice(1),
    kebab: base.replace(/_/g, '-'),
    tableEnv: `${base.toUpperCase()}_TABLE`,
  };
}

/** A table name per kind: `${prefix}accounts`, `${prefix}file-maps` … (local stack, benchmarks, tests). */
export function entityTableNames(prefix: string): Record<EntityKind, string> {
  return Object.fromEntries(ENTITY_KINDS.map((k) => [k, `${prefix}${kindNames(k).kebab}`])) as Record<EntityKind, string>;
}
