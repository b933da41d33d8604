import { BufferRangeSource } from '../../../functions/fzip/source';
import { validatePackage, ValidationReport, ValidateOptions } from '../../../functions/fzip/validator';
import { PlainRecord } from '../../../functions/fzip/normalize';
import { CheckThread } from '../../../functions/fzip/check-thread';
import { EntityKind } from '../../../functions/fzip/entities';
import {
  ACC1, CAT1, CAT2, FILE1, HASH1, TX1, TX2, housef3Data, housef3Entries, housef3Manifest, housef3Package, pythonJson,
} from '../../helpers/housef3-package';
import { buildZip } from '../../helpers/raw-zip';
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';

/**
 * Validates on this thread alone, then with transactions inspected in the worker thread; both
 * must give the same report, byte for byte, and hand on the same records (check-thread.ts).
 */
async function validate(buf: Buffer, opts: ValidateOptions = {}): Promise<ValidationReport> {
  const handed: string[][] = [[], []];
  const run = (mode: 'never' | 'always', seen: string[]) =>
    validatePackage(new BufferRangeSource(buf, 'test.fzip'), {
      ...opts,
      checkThread: mode,
      onRecord: (kind, r, index) => {
        seen.push(`${kind} ${index} ${JSON.stringify(r)}`);
        return mode === 'never' ? opts.onRecord?.(kind, r, index) : undefined;
      },
    });
  const alone = await run('never', handed[0]);
  const answered = CheckThread.workerVerdicts;
  const threaded = await run('always', handed[1]);
  // a package whose transactions were read had its first batch inspected by the worker
  if (alone.counts.transactions > 0) expect(CheckThread.workerVerdicts).toBeGreaterThan(answered);
  expect(JSON.stringify(threaded)).toBe(JSON.stringify(alone));
  expect(handed[1]).toEqual(handed[0]);
  return alone;
}

async function collect(buf: Buffer): Promise<{ report: ValidationReport; records: Record<string, PlainRecord[]> }> {
  const records: Record<string, PlainRecord[]> = {};
  // validate() hands each record on once (on its single-thread run)
  const report = await validate(buf, {
    onRecord: (kind: EntityKind, r: PlainRecord) => {
      (records[kind] ??= []).push(r);
    },
  });
  return { report, records };
}

function codes(r: ValidationReport): string[] {
  return r.errors.map((e) => e.code);
}

describe('validatePackage: packages as housef3 writes them', () => {
  it('accepts a housef3 package with gzip data files, uint64 hashes and decimal strings', async () => {
    const { report, records } = await collect(housef3Package());
    expect(report.errors).toEqual([]);
    expect(report.valid).toBe(true);
    expect(report.packageFormat).toBe('fzip');
    expect(report.counts).toEqual({ accounts: 2, categories: 2, fileMaps: 1, transactionFiles: 1, transactions: 2, statementFiles: 1 });
    expect(report.warnings).toEqual([]);
    expect(report.manifest).toMatchObject({ formatVersion: '1.0', sourceUserId: expect.any(String), housef3Version: '2.5.0' });
    const tx = records.transactions.find((t) => t.transactionId === TX1)!;
    expect(tx.transactionHash).toBe(HASH1);
    expect(tx.amount).toBe('-12.34');
    expect(tx.balance).toBe('987.66');
    expect(tx).not.toHaveProperty('exportMetadata');
    expect(tx).not.toHaveProperty('categoryAssignments');
    expect(tx).not.toHaveProperty('userId');
    expect(tx.categories).toEqual([
      { categoryId: CAT2, confidence: 90, status: 'suggested', isManual: false, assignedAt: 1704067200000, ruleId: 'rule_amt00001' },
    ]);
    const acc = records.accounts.find((a) => a.accountId === ACC1)!;
    expect(acc).toMatchObject({ balance: '1234.50', firstTransactionDate: 1704067200000, importsEndDate: 1704240000000 });
    expect(records.accounts[1].accountName).toBe('Savings \u00e9\u{1F4B0}');
    expect(records.categories[1].rules).toEqual([expect.objectContaining({ amountMin: '10.00', amountMax: '50.5' })]);
    expect(records.fileMaps[0].mappings).toEqual([
      { sourceField: 'Date', targetField: 'date' },
      { sourceField: 'Amount', targetField: 'amount', transformation: 'negate' },
    ]);
    expect(records.transactionFiles[0].dateRange).toEqual({ startDate: 1704067200000, endDate: 1704153600000 });
  });

  it('reads a package whose entries are all LZMA-compressed (method 14)', async () => {
    const report = await validate(housef3Package({ method: 14 }));
    expect(report.errors).toEqual([]);
    expect(report.counts.transactions).toBe(2);
  });

  it('reads plain .json data files and treats missing data files as empty', async () => {
    const entries = housef3Entries({ gzip: false }).filter((e) => !String(e.name).includes('categories'));
    const data = housef3Data();
    for (const t of data.transactions) t.categories = [];
    const withoutCategories = housef3Entries({ gzip: false, data }).filter((e) => !String(e.name).includes('categories'));
    const report = await validate(buildZip(withoutCategories));
    expect(report.errors).toEqual([]);
    expect(report.counts.categories).toBe(0);
    expect(report.warnings.map((w) => w.code)).toEqual(['COUNT_MISMATCH']);
    expect(entries.length).toBe(withoutCategories.length);
  });

  it('accepts era A/B manifests (export* names) as aliases', async () => {
    const m = housef3Manifest() as Record<string, unknown>;
    delete m.backupFormatVersion;
    delete m.backupTimestamp;
    m.exportFormatVersion = '1.0';
    m.exportTimestamp = '2025-07-20T10:00:00+00:00';
    const report = await validate(housef3Package({ manifest: m }));
    expect(report.errors).toEqual([]);
    expect(report.manifest?.exportedAt).toBe('2025-07-20T10:00:00+00:00');
  });

  it('verifies manifest checksums over the stored entry bytes (before gunzip)', async () => {
    const entries = housef3Entries();
    const gz = entries.find((e) => e.name === 'data/accounts.json.gz')!;
    const good = createHash('sha256').update(gz.data as Buffer).digest('hex');
    const okManifest = { ...housef3Manifest(), checksums: { 'data/accounts.json.gz': `sha256:${good}` } };
    expect((await validate(housef3Package({ manifest: okManifest }))).errors).toEqual([]);
    const badManifest = { ...housef3Manifest(), checksums: { 'data/accounts.json.gz': `sha256:${'0'.repeat(64)}` } };
    const bad = await validate(housef3Package({ manifest: badManifest }));
    expect(bad.valid).toBe(false);
    expect(bad.errors[0]).toMatchObject({ code: 'CHECKSUM_MISMATCH', file: 'data/accounts.json.gz' });
    const missing = { ...housef3Manifest(), checksums: { 'data/nothing.json': `sha256:${good}` } };
    expect(codes(await validate(housef3Package({ manifest: missing })))).toEqual(['CHECKSUM_MISMATCH']);
  });

  it('warns when dataSummary counts disagree with the data', async () => {
    const report = await validate(housef3Package({ manifest: housef3Manifest({ transactionsCount: 5 }) }));
    expect(report.valid).toBe(true);
    expect(report.warnings).toEqual([
      expect.objectContaining({ code: 'COUNT_MISMATCH', field: '/dataSummary/transactionsCount' }),
    ]);
  });

  it('warns about a transaction file without bytes and about bytes without a record', async () => {
    const report = await validate(
      housef3Package({
        omitStatement: true,
        extraEntries: [{ name: 'files/d0000000-0000-4000-8000-000000000009/x.csv', data: 'x' }],
      }),
    );
    expect(report.valid).toBe(true);
    expect(report.warnings.map((w) => [w.code, w.id ?? w.file])).toEqual([
      ['MISSING_FILE_BYTES', FILE1],
      ['UNREFERENCED_FILE', 'files/d0000000-0000-4000-8000-000000000009/x.csv'],
    ]);
  });
});

describe('validatePackage: text that is not Unicode', () => {
  it('refuses an unpaired surrogate escape in a record, naming the field; an escaped pair is an emoji and fine', async () => {
    const data = housef3Data();
    data.transactions[0] = { ...data.transactions[0], description: 'lone \ud800 half' };
    data.transactions[1] = { ...data.transactions[1], description: 'pair \ud83d\ude00' };
    const report = await validate(housef3Package({ data }));
    expect(report.valid).toBe(false);
    expect(report.errors).toEqual([
      expect.objectContaining({ code: 'INVALID_ENCODING', file: 'data/transactions.json.gz', index: 0, id: TX1, field: '/description' }),
    ]);
  });
});

describe('validatePackage: warnings that leave the package importable', () => {
  it('warns when the manifest says packageFormat json for a ZIP package', async () => {
    const report = await validate(housef3Package({ manifest: { ...housef3Manifest(), packageFormat: 'json' } }));
    expect(report.valid).toBe(true);
    expect(report.warnings).toEqual([expect.objectContaining({ code: 'PACKAGE_FORMAT_MISMATCH', file: 'manifest.json', field: '/packageFormat' })]);
  });

  it('warns about a data file of a kind the format does not know, and reads the rest', async () => {
    const report = await validate(housef3Package({ extraEntries: [{ name: 'data/budgets.json', data: '[{"x":1}]' }] }));
    expect(report.valid).toBe(true);
    expect(report.counts.transactions).toBe(2);
    expect(report.warnings).toEqual([expect.objectContaining({ code: 'IGNORED_ENTRY', file: 'data/budgets.json' })]);
  });

  it('checks analytics in a package against their schema and says they are recomputed, not imported', async () => {
    const figure = { analyticType: 'cash_flow', timePeriod: '2024-01', accountId: ACC1, data: { currency: 'GBP', inflow: '10.00', outflow: '0.00', net: '10.00', count: 1 } };
    const good = [figure, { analyticType: 'category_trends', timePeriod: '2024-01', accountId: null, data: { currency: 'GBP', categories: {} } }];
    const gz = zlib.gzipSync(Buffer.from(JSON.stringify(good)));
    const report = await validate(housef3Package({ extraEntries: [{ name: 'data/analytics.json.gz', data: gz }] }));
    expect(report.valid).toBe(true);
    expect(report.derived).toEqual({ analytics: 2 });
    expect(report.warnings).toEqual([expect.objectContaining({ code: 'DERIVED_DATA_RECOMPUTED', file: 'data/analytics.json.gz' })]);

    const bad = [figure, { timePeriod: '2024-02', data: {} }, { ...figure, data: 'ten' }];
    const broken = await validate(housef3Package({ extraEntries: [{ name: 'data/analytics.json', data: JSON.stringify(bad) }] }));
    expect(broken.valid).toBe(false);
    expect(broken.errors).toEqual([
      expect.objectContaining({ code: 'SCHEMA_VIOLATION', file: 'data/analytics.json', index: 1, field: '/analyticType' }),
      expect.objectContaining({ code: 'SCHEMA_VIOLATION', file: 'data/analytics.json', index: 2, field: '/data', value: '"ten"' }),
    ]);
    // both spellings at once are one file too many
    const twice = await validate(housef3Package({ extraEntries: [{ name: 'data/analytics.json', data: '[]' }, { name: 'data/analytics.json.gz', data: zlib.gzipSync('[]') }] }));
    expect(codes(twice)).toContain('AMBIGUOUS_DATA_FILE');
  });

  it("warns when a statement file's fileSize disagrees with the bytes in the package", async () => {
    const data = housef3Data();
    data.transaction_files = data.transaction_files.map((f) => ({ ...f, fileSize: f.fileSize + 7 }));
    const report = await validate(housef3Package({ data }));
    expect(report.valid).toBe(true);
    expect(report.warnings).toEqual([expect.objectContaining({ code: 'FILE_SIZE_MISMATCH', id: FILE1, field: '/fileSize' })]);
  });
});

describe('validatePackage: packageFormat json', () => {
  function jsonDoc(mutate?: (d: Record<string, unknown>) => void): Buffer {
    const d = housef3Data();
    const doc: Record<string, unknown> = {
      manifest: { ...housef3Manifest(), packageFormat: 'json' },
      accounts: d.accounts,
      transactions: d.transactions,
      categories: d.categories,
      fileMaps: d.file_maps,
      transactionFiles: d.transaction_files,
    };
    mutate?.(doc);
    return Buffer.from(pythonJson(doc));
  }

  it('reads the same data from one JSON document, losslessly', async () => {
    const { report, records } = await collect(jsonDoc());
    expect(report.errors).toEqual([]);
    expect(report.packageFormat).toBe('json');
    expect(report.counts).toMatchObject({ accounts: 2, transactions: 2, categories: 2, fileMaps: 1, transactionFiles: 1 });
    expect(records.transactions[0].transactionHash).toBe(HASH1);
  });

  it('reads a JSON document once per kind, and its analytics only when it has them', async () => {
    const reads = async (buf: Buffer) => {
      const inner = new BufferRangeSource(buf, 'doc.json');
      let n = 0;
      const counting = Object.assign(Object.create(inner) as BufferRangeSource, {
        readRange: (start: number, end: number) => {
          n++;
          return inner.readRange(start, end);
        },
      });
      const report = await validatePackage(counting);
      return { n, report };
    };
    const without = await reads(jsonDoc());
    const figures = [{ analyticType: 'cash_flow', timePeriod: '2024-01', data: {} }];
    const withFigures = await reads(jsonDoc((d) => (d.analytics = figures)));
    expect(withFigures.n).toBe(without.n + 1);
    expect(without.report.derived).toBeUndefined();
    expect(withFigures.report.derived).toEqual({ analytics: 1 });
    expect(withFigures.report.valid).toBe(true);
  });

  it('reports errors in a JSON document with the array name and index', async () => {
    const report = await validate(
      jsonDoc((d) => {
        (d.transactions as Array<Record<string, unknown>>)[1].amount = 'ten';
      }),
    );
    expect(report.errors).toEqual([
      expect.objectContaining({ code: 'SCHEMA_VIOLATION', file: 'transactions', index: 1, field: '/amount' }),
    ]);
  });

  it('rejects a document that is neither a ZIP nor JSON', async () => {
    expect(codes(await validate(Buffer.from('hello world')))).toEqual(['UNKNOWN_PACKAGE_FORMAT']);
    expect(codes(await validate(jsonDoc(), { packageFormat: 'fzip' }))).toEqual(['NOT_A_ZIP']);
  });
});

describe('validatePackage: records and business rules', () => {
  type Mutator = (d: ReturnType<typeof housef3Data>) => void;
  const cases: Array<[string, Mutator, Partial<{ code: string; file: string; index: number; field: string; id: string }>]> = [
    ['a duplicate account id', (d) => d.accounts.push({ ...d.accounts[0] }), { code: 'DUPLICATE_ID', file: 'data/accounts.json.gz', index: 2, field: '/accountId' }],
    ['a duplicate transaction id', (d) => d.transactions.push({ ...d.transactions[0] }), { code: 'DUPLICATE_ID', index: 2, id: TX1 }],
    ['a transaction of an unknown account', (d) => { d.transactions[1].accountId = 'a0000000-0000-4000-8000-0000000000ff'; }, { code: 'UNKNOWN_REFERENCE', index: 1, field: '/accountId' }],
    ['a transaction of an unknown transaction file', (d) => { d.transactions[0].fileId = 'd0000000-0000-4000-8000-0000000000ff'; }, { code: 'UNKNOWN_REFERENCE', index: 0, field: '/fileId' }],
    ['an assignment to an unknown category', (d) => { d.transactions[0].categories[0].categoryId = 'c0000000-0000-4000-8000-0000000000ff'; }, { code: 'UNKNOWN_REFERENCE', field: '/categories/0/categoryId' }],
    ['a category with an unknown parent', (d) => { d.categories[1].parentCategoryId = 'c0000000-0000-4000-8000-0000000000ff'; }, { code: 'UNKNOWN_REFERENCE', file: 'data/categories.json.gz', index: 1, field: '/parentCategoryId' }],
    ['a category cycle', (d) => { (d.categories[0] as Record<string, unknown>).parentCategoryId = CAT2; }, { code: 'CATEGORY_CYCLE', field: '/parentCategoryId' }],
    ['a category that is its own parent', (d) => { (d.categories[0] as Record<string, unknown>).parentCategoryId = CAT1; }, { code: 'CATEGORY_CYCLE', id: CAT1 }],
    ['a file map of an unknown account', (d) => { d.file_maps[0].accountId = 'a0000000-0000-4000-8000-0000000000ff'; }, { code: 'UNKNOWN_REFERENCE', file: 'data/file_maps.json.gz', field: '/accountId' }],
    ['a transaction file of an unknown account', (d) => { d.transaction_files[0].accountId = 'a0000000-0000-4000-8000-0000000000ff'; }, { code: 'UNKNOWN_REFERENCE', field: '/accountId' }],
    ['a transaction file of an unknown file map', (d) => { d.transaction_files[0].fileMapId = 'f0000000-0000-4000-8000-0000000000ff'; }, { code: 'UNKNOWN_REFERENCE', field: '/fileMapId' }],
    ['an account whose default file map is unknown', (d) => { d.accounts[0].defaultFileMapId = 'f0000000-0000-4000-8000-0000000000ff'; }, { code: 'UNKNOWN_REFERENCE', file: 'data/accounts.json.gz', index: 0, field: '/defaultFileMapId' }],
    ['money as a float-looking string', (d) => { d.transactions[0].amount = '12,34'; }, { code: 'SCHEMA_VIOLATION', field: '/amount' }],
    ['a missing required field', (d) => { delete (d.accounts[1] as Record<string, unknown>).accountName; }, { code: 'SCHEMA_VIOLATION', index: 1, field: '/accountName' }],
    ['a bad enum value', (d) => { d.accounts[0].currency = 'gbp'; }, { code: 'SCHEMA_VIOLATION', field: '/currency' }],
    ['a non-UUID id', (d) => { d.transactions[0].transactionId = 'not-a-uuid'; }, { code: 'SCHEMA_VIOLATION', field: '/transactionId' }],
    ['a timestamp as an ISO string', (d) => { (d.transactions[0] as Record<string, unknown>).date = '2024-01-01'; }, { code: 'SCHEMA_VIOLATION', field: '/date' }],
    ['a __proto__ key', (d) => { Object.defineProperty(d.accounts[0], '__proto__', { value: { polluted: true }, enumerable: true }); }, { code: 'SCHEMA_VIOLATION', field: '/__proto__' }],
    ['a constructor key', (d) => { Object.defineProperty(d.accounts[0], 'constructor', { value: 1, enumerable: true }); }, { code: 'SCHEMA_VIOLATION', field: '/constructor' }],
    ['a file map without mappings', (d) => { d.file_maps[0].mappings = []; }, { code: 'SCHEMA_VIOLATION', field: '/mappings' }],
    ['a dateRange that ends before it starts', (d) => { d.transaction_files[0].dateRange = { startDate: 2, endDate: 1 }; }, { code: 'INVALID_VALUE', field: '/dateRange' }],
    ['a transactionHash above 2^64', (d) => { d.transactions[0].transactionHash = '@@18446744073709551616@@'; }, { code: 'INVALID_VALUE', field: '/transactionHash' }],
    ['money of 1e400', (d) => { d.transactions[0].amount = '1e400'; }, { code: 'INVALID_VALUE', field: '/amount', index: 0, id: TX1 }],
    ['an account balance of 10^15', (d) => { d.accounts[0].balance = '1000000000000000'; }, { code: 'INVALID_VALUE', field: '/balance' }],
    ['a rule amount with 24 decimal places', (d) => { d.categories[1].rules[0].amountMax = '1e-24'; }, { code: 'INVALID_VALUE', field: '/rules/0/amountMax' }],
    ['a file name with a slash', (d) => { d.transaction_files[0].fileName = '../x.csv'; }, { code: 'SCHEMA_VIOLATION', field: '/fileName' }],
  ];

  it.each(cases)('rejects %s', async (_name, mutate, expected) => {
    const data = housef3Data();
    mutate(data);
    const report = await validate(housef3Package({ data }));
    expect(report.valid).toBe(false);
    expect(report.errors[0]).toMatchObject(expected);
    expect(report.errors[0].message).toEqual(expect.any(String));
  });

  it('rejects a record that is not an object, and invalid JSON, with the file and index', async () => {
    const entries = housef3Entries();
    const i = entries.findIndex((e) => e.name === 'data/accounts.json.gz');
    entries[i] = { name: 'data/accounts.json', data: `[${pythonJson(housef3Data().accounts[0])}, 42, {"a": }]` };
    const report = await validate(buildZip(entries));
    expect(report.errors.slice(0, 2)).toEqual([
      expect.objectContaining({ code: 'INVALID_RECORD', file: 'data/accounts.json', index: 1 }),
      expect.objectContaining({ code: 'INVALID_JSON', file: 'data/accounts.json', index: 2 }),
    ]);
  });

  it('caps the listed errors and counts them all', async () => {
    const data = housef3Data();
    for (let i = 0; i < 150; i++) data.transactions.push({ ...data.transactions[0], amount: 'x' });
    const report = await validate(housef3Package({ data }), { limits: { maxReportedIssues: 10 } });
    expect(report.errors).toHaveLength(10);
    expect(report.errorCount).toBe(150);
  });

  it('refuses money written as the bare JSON number 1e400', async () => {
    const entries = housef3Entries({ gzip: false });
    const i = entries.findIndex((e) => e.name === 'data/transactions.json');
    entries[i] = { name: 'data/transactions.json', data: String(entries[i].data).replace('"amount": "2500.00"', '"amount": 1e400') };
    const report = await validate(buildZip(entries));
    expect(report.errors).toEqual([expect.objectContaining({ code: 'INVALID_VALUE', file: 'data/transactions.json', index: 1, id: TX2, field: '/amount' })]);
  });

  it('refuses a record that would be a DynamoDB item over 400 KB, naming it; nothing is passed on', async () => {
    const data = housef3Data();
    const rule = data.categories[1].rules[0];
    // 500 rules of 1,000 characters: well within the JSON limits, too large as one item.
    (data.categories[1] as Record<string, unknown>).rules = Array.from({ length: 500 }, (_, i) => ({ ...rule, ruleId: `rule_${String(i).padStart(8, '0')}`, value: 'v'.repeat(1000) }));
    const seen: string[] = [];
    const report = await validate(housef3Package({ data }), { onRecord: (kind, r) => void seen.push(`${kind}:${String(r.categoryId ?? '')}`) });
    expect(report.valid).toBe(false);
    expect(report.errors).toEqual([
      expect.objectContaining({ code: 'ITEM_TOO_LARGE', file: 'data/categories.json.gz', index: 1, id: CAT2, message: expect.stringMatching(/item/) }),
    ]);
    expect(seen).not.toContain(`categories:${CAT2}`);
  });

  it('refuses a record made large by many extra fields', async () => {
    const data = housef3Data();
    const tx = data.transactions[0] as Record<string, unknown>;
    for (let i = 0; i < 200; i++) tx[`extra${i}`] = 'x'.repeat(2500);
    const report = await validate(housef3Package({ data }));
    expect(report.errors[0]).toMatchObject({ code: 'ITEM_TOO_LARGE', id: TX1, index: 0 });
  });

  it('names a long category cycle in a bounded message', async () => {
    const data = housef3Data();
    const base = data.categories[0];
    const n = 15000;
    const id = (i: number) => `c1000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    (data as Record<string, unknown>).categories = Array.from({ length: n }, (_, i) => ({
      ...base, categoryId: id(i), parentCategoryId: id((i + 1) % n), hierarchyInfo: undefined,
    }));
    data.transactions.forEach((t) => { t.categories = []; });
    const report = await validate(housef3Package({ data }));
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatchObject({ code: 'CATEGORY_CYCLE' });
    expect(report.errors[0].message).toContain('15000 categories');
    expect(report.errors[0].message.length).toBeLessThanOrEqual(500);
  });

  it('bounds every listed issue and the number of reference records', async () => {
    const data = housef3Data();
    const report = await validate(housef3Package({ data }), { limits: { maxReferenceRecords: 1 } });
    expect(report.errors[0]).toMatchObject({ code: 'TOO_MANY_RECORDS', file: 'data/accounts.json.gz' });
  });

  it('keeps unknown fields and warns once per field', async () => {
    const data = housef3Data();
    for (const t of data.transactions) (t as Record<string, unknown>).merchantLogo = 'x';
    const { report, records } = await collect(housef3Package({ data }));
    expect(report.valid).toBe(true);
    expect(report.warnings).toEqual([expect.objectContaining({ code: 'UNKNOWN_FIELD', field: '/merchantLogo' })]);
    expect(records.transactions[0].merchantLogo).toBe('x');
  });

  it('rejects a manifest without a format version and an unsupported version', async () => {
    const m = housef3Manifest() as Record<string, unknown>;
    delete m.backupFormatVersion;
    expect(codes(await validate(housef3Package({ manifest: m })))).toEqual(['INVALID_MANIFEST']);
    expect(codes(await validate(housef3Package({ manifest: { ...housef3Manifest(), backupFormatVersion: '2.0' } })))).toEqual([
      'UNSUPPORTED_FORMAT_VERSION',
    ]);
  });

  it('rejects a gzip data file that is not gzip, naming the file', async () => {
    const entries = housef3Entries();
    const i = entries.findIndex((e) => e.name === 'data/transactions.json.gz');
    entries[i] = { name: 'data/transactions.json.gz', data: 'not gzip' };
    const report = await validate(buildZip(entries));
    expect(report.errors).toEqual([expect.objectContaining({ code: 'CORRUPT_ENTRY', file: 'data/transactions.json.gz' })]);
  });

  it('rejects a data file that gunzips beyond the size limit (gzip bomb inside the zip)', async () => {
    const entries = housef3Entries();
    const i = entries.findIndex((e) => e.name === 'data/transactions.json.gz');
    entries[i] = { name: 'data/transactions.json.gz', data: zlib.gzipSync(Buffer.alloc(5_000_000, 0x20)) };
    const report = await validate(buildZip(entries), { limits: { maxDataFileBytes: 1_000_000 } });
    expect(report.errors).toEqual([expect.objectContaining({ code: 'DATA_FILE_TOO_LARGE', file: 'data/transactions.json.gz' })]);
  });

  it('rejects invalid UTF-8 in a data file', async () => {
    const entries = housef3Entries({ gzip: false });
    const i = entries.findIndex((e) => e.name === 'data/accounts.json');
    entries[i] = { name: 'data/accounts.json', data: Buffer.from([0x5b, 0x22, 0xff, 0x22, 0x5d]) };
    expect(codes(await validate(buildZip(entries)))).toContain('INVALID_ENCODING');
  });

  it('does not call onRecord for invalid records', async () => {
    const data = housef3Data();
    data.transactions[0].amount = 'bad';
    const { records } = await collect(housef3Package({ data }));
    expect(records.transactions.map((t) => t.transactionId)).toEqual([data.transactions[1].transactionId]);
  });

  it('checks the statement bytes against their CRC', async () => {
    const entries = housef3Entries();
    const i = entries.findIndex((e) => String(e.name).startsWith('files/'));
    entries[i] = { ...entries[i], crc32: 1234 };
    const report = await validate(buildZip(entries));
    expect(report.errors).toEqual([expect.objectContaining({ code: 'CRC_MISMATCH', file: `files/${FILE1}/statement jan.csv` })]);
  });
});

describe('validatePackage: duplicate keys', () => {
  /** The package with one data file's JSON text edited (gzip kept). */
  function edited(base: string, edit: (text: string) => string, manifest?: (text: string) => string): Buffer {
    return buildZip(
      housef3Entries().map((e) => {
        if (manifest && e.name === 'manifest.json') return { ...e, data: manifest(String(e.data)) };
        if (e.name !== `data/${base}.json.gz`) return e;
        return { ...e, data: zlib.gzipSync(edit(zlib.gunzipSync(e.data as Buffer).toString('utf8'))) };
      }),
    );
  }

  it('a key twice in a record is DUPLICATE_KEY naming the file, record and field (not the last value silently)', async () => {
    const buf = edited('transactions', (t) => t.replace('"amount": "-12.34"', '"amount": "-12.34", "amount": "999999.99"'));
    const { report, records } = await collect(buf);
    expect(report.valid).toBe(false);
    const dup = report.errors.filter((e) => e.code === 'DUPLICATE_KEY');
    expect(dup).toEqual([expect.objectContaining({ file: 'data/transactions.json.gz', index: 0, id: TX1, field: '/amount' })]);
    expect((records.transactions ?? []).some((t) => t.amount === '999999.99')).toBe(false);
  });

  it('a key twice in a nested object names its path; the same key in two objects is fine', async () => {
    const nested = edited('categories', (t) => t.replace('"amountMin": "10.00"', '"amountMin": "10.00", "amountMin": "11.00"'));
    expect((await validate(nested)).errors.filter((e) => e.code === 'DUPLICATE_KEY').map((e) => e.field)).toEqual(['/rules/0/amountMin']);
    // every record has "amount": one key per object is not a duplicate
    expect((await validate(housef3Package())).errors).toEqual([]);
  });

  it('a key twice in the manifest fails the package', async () => {
    const buf = edited('accounts', (t) => t, (m) => m.replace('"backupFormatVersion": "1.0"', '"backupFormatVersion": "1.0", "backupFormatVersion": "9.9"'));
    const report = await validate(buf);
    expect(report.errors).toEqual([expect.objectContaining({ code: 'DUPLICATE_KEY', file: 'manifest.json', field: '/backupFormatVersion' })]);
  });
});
