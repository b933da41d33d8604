/**
 * Realistic synthetic FZIP packages for demos, tests and benchmarks: accounts, a category
 * hierarchy with rules, file maps, statement files (CSV bytes), and transactions streamed
 * lazily (a million of them never sit in memory). Deterministic for a seed.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { PlainRecord } from '../functions/fzip/normalize';
import { PackageInput, StatementFileInput } from '../functions/fzip/writer';
import { FILE_KIND } from '../functions/fzip/entities';

export interface SyntheticOptions {
  transactions: number;
  accounts?: number;
  files?: number;
  seed?: number;
  /** The exporting user's id written into the manifest and records. */
  userId?: string;
}

/** mulberry32: small, fast, good enough for test data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuidFrom(rand: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(rand() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[Math.floor(rand() * 4)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Python's str(Decimal(s).normalize()), as housef3 feeds it to its transaction hash. */
export function pythonNormalizedDecimal(s: string): string {
  const neg = s.startsWith('-');
  const [mantissa, exponent = '0'] = s.replace(/^[-+]/, '').split(/[eE]/);
  const [intPart, frac = ''] = mantissa.split('.');
  let digits = (intPart + frac).replace(/^0+/, '');
  let exp = Number(exponent) - frac.length;
  // a zero keeps its sign: str(Decimal('-0.00').normalize()) is '-0'
  if (digits === '') return neg ? '-0' : '0';
  while (digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    exp++;
  }
  const adjusted = exp + digits.length - 1;
  let out: string;
  if (exp <= 0 && adjusted >= -6) {
    const point = digits.length + exp;
    out = point > 0 ? `${digits.slice(0, point)}${point < digits.length ? '.' + digits.slice(point) : ''}` : `0.${'0'.repeat(-point)}${digits}`;
  } else {
    out = `${digits[0]}${digits.length > 1 ? '.' + digits.slice(1) : ''}E${adjusted >= 0 ? '+' : ''}${adjusted}`;
  }
  return neg ? `-${out}` : out;
}

/** housef3's generate_transaction_hash: first 16 hex digits of a SHA-256, as an unsigned 64-bit integer. */
export function transactionHash(accountId: string, date: number, amount: string, description: string): string {
  const hex = createHash('sha256').update(`${accountId}|${date}|${pythonNormalizedDecimal(amount)}|${description}`).digest('hex');
  return BigInt(`0x${hex.slice(0, 16)}`).toString();
}

const MERCHANTS = [
  ['TESCO STORES', 'Groceries', -1], ['SAINSBURYS', 'Groceries', -1], ['PRET A MANGER', 'Restaurants', -1],
  ['SHELL FUEL', 'Fuel', -1], ['TFL TRAVEL', 'Public transport', -1], ['NETFLIX.COM', 'Subscriptions', -1],
  ['AMAZON MKTPLACE', 'Shopping', -1], ['ACME LTD SALARY', 'Salary', 1], ['HMRC REFUND', 'Refunds', 1],
  ['THAMES WATER', 'Utilities', -1], ['COUNCIL TAX', 'Utilities', -1], ['DELIVEROO', 'Restaurants', -1],
] as const;

const CATEGORY_TREE: Array<[string, 'INCOME' | 'EXPENSE' | 'TRANSFER', string[]]> = [
  ['Income', 'INCOME', ['Salary', 'Refunds']],
  ['Food', 'EXPENSE', ['Groceries', 'Restaurants']],
  ['Transport', 'EXPENSE', ['Fuel', 'Public transport']],
  ['Home', 'EXPENSE', ['Utilities', 'Subscriptions', 'Shopping']],
  ['Transfers', 'TRANSFER', []],
];

const DAY = 86_400_000;
const START = Date.UTC(2021, 0, 1);

export function syntheticPackage(opts: SyntheticOptions): PackageInput {
  const seed = opts.seed ?? 1;
  const rand = rng(seed);
  const userId = opts.userId ?? uuidFrom(rand);
  const nAccounts = Math.max(1, opts.accounts ?? 3);
  const nFiles = Math.max(0, opts.files ?? Math.min(24, nAccounts * 8));
  const created = START - 30 * DAY;

  const fileMaps: PlainRecord[] = [];
  const accounts: PlainRecord[] = [];
  const types = ['checking', 'savings', 'credit_card', 'investment', 'loan', 'other'];
  for (let i = 0; i < nAccounts; i++) {
    const accountId = uuidFrom(rand);
    const fileMapId = uuidFrom(rand);
    fileMaps.push({
      fileMapId, userId, name: `Bank ${i + 1} CSV`, accountId, reverseAmounts: i % 3 === 2,
      mappings: [
        { sourceField: 'Date', targetField: 'date' },
        { sourceField: 'Description', targetField: 'description' },
        { sourceField: 'Amount', targetField: 'amount' },
      ],
      createdAt: created, updatedAt: created,
    });
    accounts.push({
      accountId, userId, accountName: `Account ${i + 1}`, accountType: types[i % types.length], institution: `Bank ${i + 1}`,
      balance: (rand() * 10000).toFixed(2), currency: 'GBP', isActive: true, defaultFileMapId: fileMapId,
      createdAt: created, updatedAt: created,
      exportMetadata: { exportedAt: new Date(START).toISOString(), dataVersion: '1.0' },
    });
  }

  const categories: PlainRecord[] = [];
  const categoryByName = new Map<string, string>();
  for (const [parent, type, children] of CATEGORY_TREE) {
    const parentId = uuidFrom(rand);
    categoryByName.set(parent, parentId);
    categories.push({ categoryId: parentId, userId, name: parent, type, rules: [], inheritParentRules: true, ruleInheritanceMode: 'additive', createdAt: created, updatedAt: created });
    for (const child of children) {
      const id = uuidFrom(rand);
      categoryByName.set(child, id);
      const merchants = MERCHANTS.filter((m) => m[1] === child);
      categories.push({
        categoryId: id, userId, name: child, type, parentCategoryId: parentId, inheritParentRules: true, ruleInheritanceMode: 'additive',
        rules: merchants.map((m, k) => ({
          ruleId: `rule_${createHash('sha1').update(`${seed}${child}${k}`).digest('hex').slice(0, 8)}`,
          fieldToMatch: 'description', condition: 'contains', value: m[0].split(' ')[0], caseSensitive: false,
          priority: 10, enabled: true, confidence: 90, allowMultipleMatches: false, autoSuggest: true,
        })),
        createdAt: created, updatedAt: created,
      });
    }
  }

  const fileRecords: PlainRecord[] = [];
  const files: StatementFileInput[] = [];
  for (let f = 0; f < nFiles; f++) {
    const account = accounts[f % nAccounts];
    const fileId = uuidFrom(rand);
    const fileName = `statement ${String(f + 1).padStart(3, '0')}.csv`;
    const lines = ['Date,Description,Amount'];
    const fileRand = rng(seed * 7919 + f);
    for (let l = 0; l < 40; l++) {
      const m = MERCHANTS[Math.floor(fileRand() * MERCHANTS.length)];
      lines.push(`2021-${String((f % 12) + 1).padStart(2, '0')}-${String((l % 28) + 1).padStart(2, '0')},${m[0]},${(m[2] * fileRand() * 100).toFixed(2)}`);
    }
    const content = Buffer.from(lines.join('\n') + '\n');
    const uploadDate = START + f * 30 * DAY;
    fileRecords.push({
      fileId, userId, fileName, uploadDate, fileSize: content.length, s3Key: `${userId}/${fileId}/${fileName}`,
      processingStatus: 'processed', processedDate: uploadDate + 5000, fileFormat: 'csv',
      accountId: account.accountId, fileMapId: account.defaultFileMapId, recordCount: 40,
      dateRange: { startDate: uploadDate - 30 * DAY, endDate: uploadDate }, currency: 'GBP',
      createdAt: uploadDate, updatedAt: uploadDate,
    });
    files.push({ fileId, fileName, content });
  }

  const nTx = Math.max(0, opts.transactions);
  const txSeed = seed * 104729 + 17;
  function* transactions(): Generator<PlainRecord> {
    const r = rng(txSeed);
    for (let i = 0; i < nTx; i++) {
      const account = accounts[i % nAccounts];
      const m = MERCHANTS[Math.floor(r() * MERCHANTS.length)];
      const date = START + Math.floor((i / Math.max(1, nTx)) * 1400) * DAY;
      const magnitude = m[2] > 0 ? 1500 + r() * 2000 : r() * 120;
      const amount = (m[2] * magnitude).toFixed(2);
      const description = `${m[0]} ${1000 + (i % 9000)}`;
      const categoryId = categoryByName.get(m[1]) as string;
      const file = fileRecords.length ? fileRecords[i % fileRecords.length] : undefined;
      const tx: PlainRecord = {
        transactionId: uuidFrom(r), userId, accountId: account.accountId, date, description, amount, currency: 'GBP',
        balance: (r() * 5000).toFixed(2), importOrder: i + 1, transactionType: m[2] > 0 ? 'CREDIT' : 'DEBIT',
        status: 'new', transactionHash: transactionHash(account.accountId as string, date, amount, description),
        categories: [{ categoryId, confidence: 90, status: r() < 0.5 ? 'confirmed' : 'suggested', isManual: false, assignedAt: date }],
        primaryCategoryId: categoryId, createdAt: date, updatedAt: date,
      };
      if (file) tx.fileId = file.fileId;
      yield tx;
    }
  }

  return {
    manifest: { userId, backupTimestamp: new Date(START + 1500 * DAY).toISOString(), jobId: uuidFrom(rand), backupType: 'complete' },
    accounts,
    categories,
    fileMaps,
    [FILE_KIND]: fileRecords,
    transactions: { [Symbol.iterator]: transactions },
    files: files.map((f) => ({ ...f, content: () => Readable.from([f.content as Buffer]) })),
  };
}
