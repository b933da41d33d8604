/**
 * Builds packages the way housef3's exporter writes them (see shared reference): camelCase
 * records with export decorations, gzip-compressed data files inside the zip, JSON with
 * indent=2 and ensure_ascii, uint64 transactionHash as a bare number, money as decimal strings.
 */
import zlib from 'node:zlib';
import { buildZip, RawEntry } from './raw-zip';

export const USER = '11111111-aaaa-4bbb-8ccc-000000000001';
export const ACC1 = 'a0000000-0000-4000-8000-000000000001';
export const ACC2 = 'a0000000-0000-4000-8000-000000000002';
export const MAP1 = 'f0000000-0000-4000-8000-000000000001';
export const CAT1 = 'c0000000-0000-4000-8000-000000000001';
export const CAT2 = 'c0000000-0000-4000-8000-000000000002';
export const FILE1 = 'd0000000-0000-4000-8000-000000000001';
export const TX1 = 'e0000000-0000-4000-8000-000000000001';
export const TX2 = 'e0000000-0000-4000-8000-000000000002';
export const HASH1 = '13218515797719547195';
export const STATEMENT = 'Date,Description,Amount\n2024-01-01,TESCO STORES,-12.34\n2024-01-02,SALARY,2500.00\n';

const exportMetadata = { exportedAt: '2026-11-25T16:26:40.196291+00:00', dataVersion: '1.0' };

export function housef3Data() {
  return {
    accounts: [
      {
        accountId: ACC1, userId: USER, accountName: 'Main Checking', accountType: 'checking', institution: 'Test Bank',
        balance: '1234.50', currency: 'GBP', notes: 'n', isActive: true, defaultFileMapId: MAP1,
        firstTransactionDate: 1704067200000, lastTransactionDate: 1704153600000,
        importsStartDate: 1704067200000, importsEndDate: 1704240000000,
        createdAt: 1704067200000, updatedAt: 1704067201000, exportMetadata,
        computedFields: { hasTransactions: true, isRecentlyActive: false, accountAge: 1059 },
      },
      {
        accountId: ACC2, userId: USER, accountName: 'Savings \u00e9\u{1F4B0}', accountType: 'savings', isActive: true,
        createdAt: 1704067200000, updatedAt: 1704067200000, exportMetadata,
        computedFields: { hasTransactions: true, isRecentlyActive: null, accountAge: 3 },
      },
    ],
    categories: [
      {
        userId: USER, name: 'Food', type: 'EXPENSE', categoryId: CAT1, rules: [], createdAt: 1704067200000,
        updatedAt: 1704067200000, inheritParentRules: true, ruleInheritanceMode: 'additive', exportMetadata,
        hierarchyInfo: { depth: 0, hasChildren: true, childrenCount: 1, isRoot: true, fullPath: [CAT1] },
        computedFields: { ruleCount: 0, hasRules: false, inheritanceEnabled: true, lastModified: 1704067200000 },
      },
      {
        userId: USER, name: 'Restaurants', type: 'EXPENSE', categoryId: CAT2, parentCategoryId: CAT1,
        rules: [
          {
            ruleId: 'rule_amt00001', fieldToMatch: 'amount', condition: 'amount_between', value: '', caseSensitive: false,
            priority: 0, enabled: true, confidence: 100, amountMin: '10.00', amountMax: '50.5', allowMultipleMatches: true,
            autoSuggest: true,
          },
        ],
        createdAt: 1704067200000, updatedAt: 1704067200000, inheritParentRules: false, ruleInheritanceMode: 'override',
        exportMetadata: { ...exportMetadata, ruleCount: 1 },
        hierarchyInfo: { depth: 1, hasChildren: false, childrenCount: 0, isRoot: false, fullPath: [CAT1, CAT2] },
        computedFields: { ruleCount: 1, hasRules: true, inheritanceEnabled: false, lastModified: 1704067200000 },
      },
    ],
    file_maps: [
      {
        fileMapId: MAP1, userId: USER, name: 'Test Bank CSV',
        mappings: [
          { sourceField: 'Date', targetField: 'date', validationInfo: { isRequired: false, hasTransformation: false, fieldType: 'date' } },
          { sourceField: 'Amount', targetField: 'amount', transformation: 'negate', validationInfo: { isRequired: false, hasTransformation: true, fieldType: 'amount' } },
        ],
        accountId: ACC1, description: 'd', reverseAmounts: false, createdAt: 1704067200000, updatedAt: 1704067200000,
        exportMetadata: { ...exportMetadata, mappingCount: 2 },
        computedFields: { mappingCount: 2, hasAccountAssociation: true, reversesAmounts: false, isComplete: true },
      },
    ],
    transaction_files: [
      {
        fileId: FILE1, userId: USER, fileName: 'statement jan.csv', uploadDate: 1704067200000, fileSize: STATEMENT.length,
        s3Key: `${USER}/${FILE1}/statement jan.csv`, processingStatus: 'processed', processedDate: 1704067200005,
        fileFormat: 'csv', accountId: ACC1, fileMapId: MAP1, recordCount: 2,
        dateRange: { startDate: 1704067200000, endDate: 1704153600000 }, openingBalance: '1000.00', closingBalance: '1234.50',
        currency: 'GBP', duplicateCount: 0, transactionCount: 2, createdAt: 1704067200000, updatedAt: 1704067200000,
        uploadDateFormatted: '2024-01-01T00:00:00+00:00',
        fileStatusInfo: { isProcessed: 'processed', hasTransactions: true, hasDuplicates: false, hasErrors: false },
        exportMetadata: { ...exportMetadata, includeFileContent: false },
        computedFields: { fileSizeFormatted: '42.0 B', fileAgeInDays: 1059, transactionDensity: 0.05, duplicatePercentage: 0.0, hasDateRange: true },
      },
    ],
    transactions: [
      {
        userId: USER, fileId: FILE1, transactionId: TX1, accountId: ACC1, date: 1704067200000, description: 'TESCO STORES',
        amount: '-12.34', currency: 'GBP', balance: '987.66', importOrder: 1, transactionType: 'DEBIT', memo: 'm',
        status: 'new', createdAt: 1704067200000, updatedAt: 1704067200000, transactionHash: `@@${HASH1}@@`,
        categories: [
          { categoryId: CAT2, confidence: 90, status: 'suggested', isManual: false, assignedAt: 1704067200000, ruleId: 'rule_amt00001' },
        ],
        dateFormatted: '2024-01-01T00:00:00+00:00',
        categoryAssignments: [
          { categoryId: CAT2, status: 'suggested', confidence: 90, isManual: false, assignedAt: 1704067200000, ruleId: null },
        ],
        exportMetadata,
      },
      {
        userId: USER, fileId: FILE1, transactionId: TX2, accountId: ACC1, date: 1704153600000, description: 'SALARY',
        amount: '2500.00', currency: 'GBP', balance: '3487.66', importOrder: 2, createdAt: 1704067200000,
        updatedAt: 1704067200000, transactionHash: '@@8004883292901145370@@', categories: [], dateFormatted: '2024-01-02T00:00:00+00:00',
        exportMetadata,
      },
    ],
  };
}

export type Housef3Data = ReturnType<typeof housef3Data>;

/** Python's json.dumps(indent=2, ensure_ascii=True), with "@@digits@@" turned into bare numbers. */
export function pythonJson(value: unknown): string {
  return JSON.stringify(value, null, 2)
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .replace(/"@@([0-9]+)@@"/g, '$1');
}

export function housef3Manifest(counts: Partial<Record<string, number>> = {}) {
  return {
    backupFormatVersion: '1.0', backupTimestamp: '2026-11-25T16:26:40.244459+00:00', userId: USER, housef3Version: '2.5.0',
    packageFormat: 'fzip',
    dataSummary: {
      accountsCount: 2, transactionsCount: 2, categoriesCount: 2, fileMapsCount: 1, transactionFilesCount: 1,
      analyticsIncluded: false, ...counts,
    },
    checksums: {},
    compatibility: { minimumVersion: '2.0.0', supportedVersions: ['2.0.0', '2.5.0'] },
    jobId: 'b0000000-0000-4000-8000-000000000001', backupType: 'complete', includeAnalytics: false,
  };
}

/**
 * housef3 data with values its models accept and its exporter writes, past limits an importer
 * might set: a 76-character CJK statement file name (220 bytes), a 5,000-character error
 * message, an empty account name, long category name, icon, colour and rule fields, an amount
 * with 20 decimals.
 */
export function housef3LongValues(): { data: Housef3Data; statementName: string } {
  const data = housef3Data();
  // 220 bytes: past the 212 a 255-byte entry name allowed; the local S3 stand-in stores a key's
  // segments as file names (with a 24-byte suffix of its own), so stays within 231 bytes a
  // segment there (S3 itself takes 1,024 bytes a key)
  const statementName = `${'明細'.repeat(36)}.csv`;
  const tf = data.transaction_files[0] as Record<string, unknown>;
  tf.fileName = statementName;
  tf.s3Key = `${USER}/${FILE1}/${statementName}`;
  tf.errorMessage = 'Traceback (most recent call last): '.repeat(150);
  (data.accounts[1] as Record<string, unknown>).accountName = '';
  const cat = data.categories[1] as Record<string, unknown>;
  cat.name = 'Groceries and household '.repeat(14);
  cat.icon = 'i'.repeat(150);
  cat.color = '#'.padEnd(60, 'a');
  const rule = (cat.rules as Array<Record<string, unknown>>)[0];
  rule.value = 'TESCO|SAINSBURY|'.repeat(130);
  rule.fieldToMatch = 'description'.repeat(6);
  (data.transactions[0] as Record<string, unknown>).amount = '-12.34000000000000000001';
  return { data, statementName };
}

export interface Housef3Options {
  /** The statement file's name in its entry files/{fileId}/{name} (the record's fileName). */
  statementName?: string;
  data?: Housef3Data;
  manifest?: Record<string, unknown>;
  /** ZIP method for every entry: 8 (deflate) or 14 (LZMA, what housef3 uses above 50 MiB of files). */
  method?: 8 | 14;
  /** gzip data files (default true, as housef3). */
  gzip?: boolean;
  extraEntries?: RawEntry[];
  omitStatement?: boolean;
}

export function housef3Entries(opts: Housef3Options = {}): RawEntry[] {
  const data = opts.data ?? housef3Data();
  const method = opts.method ?? 8;
  const gzip = opts.gzip ?? true;
  const entries: RawEntry[] = [
    { name: 'manifest.json', data: pythonJson(opts.manifest ?? housef3Manifest()), method },
  ];
  for (const [base, records] of Object.entries(data)) {
    const text = Buffer.from(pythonJson(records));
    entries.push({ name: `data/${base}.json${gzip ? '.gz' : ''}`, data: gzip ? zlib.gzipSync(text) : text, method });
  }
  if (!opts.omitStatement) entries.push({ name: `files/${FILE1}/${opts.statementName ?? 'statement jan.csv'}`, data: STATEMENT, method });
  return [...entries, ...(opts.extraEntries ?? [])];
}

export function housef3Package(opts: Housef3Options = {}): Buffer {
  return buildZip(housef3Entries(opts));
}
