/**
 * What an import costs on AWS: the operations counted in one end-to-end run of the local stack
 * (bench/e2e-child.ts) priced at AWS's list prices, scaled to other sizes. Pure arithmetic, no
 * AWS calls.
 *
 * Scaling: the phases whose work grows with the package (validate, the transactions Map) are
 * counted per transaction at the size measured and scaled linearly; every other phase and
 * Lambda (accounts, categories, file maps, statement files, complete, API, starter, reconcile,
 * analytics) costs what it cost in the run, whatever the size.
 */

/** Where the prices are from: list prices, on-demand, no free tier, no Savings Plans. */
export const PRICE_REGION = 'us-east-1 (US East, N. Virginia)';
export const PRICE_DATE = 'December 2026';

/**
 * Lambda on arm64 (the CDK stack deploys every function as ARM_64), first duration tier
 * (7.5 billion GB-s a month): https://aws.amazon.com/lambda/pricing/ (the page's tables are
 * drawn by script; the figure read from cloudchipr.com/blog/aws-lambda-pricing, US East).
 * x86 would be $0.0000166667 per GB-s: 25% more on the Lambda lines.
 */
export const LAMBDA_ARM_PER_GB_SECOND = 0.0000133334;
export const LAMBDA_X86_PER_GB_SECOND = 0.0000166667;
/** Lambda requests, either architecture: $0.20 per million (same sources). */
export const LAMBDA_PER_REQUEST = 0.2 / 1e6;
/**
 * DynamoDB on-demand, Standard table class, since the 1 November 2024 cut (halved):
 * $0.625 per million write request units, $0.125 per million read request units.
 * https://aws.amazon.com/dynamodb/pricing/on-demand/ (figures read from
 * airbyte.com/data-engineering-resources/dynamodb-pricing, "US East", after the cut).
 */
export const DYNAMODB_PER_WRITE_UNIT = 0.625 / 1e6;
export const DYNAMODB_PER_READ_UNIT = 0.125 / 1e6;
/**
 * DynamoDB Import from S3: per GB of uncompressed source data processed; consumes no write
 * capacity (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataImport.HowItWorks.html).
 * $0.15 per GB: https://aws.amazon.com/dynamodb/pricing/on-demand/ ("Import from Amazon S3").
 */
export const DYNAMODB_IMPORT_PER_GB = 0.15;
/**
 * S3 Standard requests: PUT, COPY, POST, LIST $0.005 per 1,000 (tier 1); GET, SELECT and the
 * others but DELETE $0.0004 per 1,000 (tier 2); DELETE and CANCEL free.
 * https://aws.amazon.com/s3/pricing/ (figures read from c3x.dev/blog/s3-request-fees-explained).
 */
export const S3_TIER1_PER_REQUEST = 0.005 / 1000;
export const S3_TIER2_PER_REQUEST = 0.0004 / 1000;
/** Step Functions Standard Workflows: $0.0250 per 1,000 state transitions in US East (N. Virginia), retries included. https://aws.amazon.com/step-functions/pricing/ */
export const SFN_PER_TRANSITION = 0.025 / 1000;
/** AWS bills data volumes in GB of 2^30 bytes. */
export const BYTES_PER_GB = 2 ** 30;

/** What one phase of the state machine, or one Lambda outside it, did in the measured run. */
export interface MeasuredScope {
  /** Grows with the transactions (scaled linearly), or costs the same for any package. */
  scales: boolean;
  /** The memory CDK gives its Lambda (0: no Lambda). */
  lambdaMemoryMB: number;
  lambdaInvocations: number;
  /** Seconds standing in for Lambda's billed duration (a phase: its duration in the execution). */
  lambdaSeconds: number;
  /** The invocations' durations added up (in the Map they overlap, sharing the machine's CPU). */
  invocationSeconds: number;
  /** DynamoDB calls by operation (BatchWriteItem, Query, ...). */
  dynamodbRequests: Record<string, number>;
  /** Read request units (strongly consistent: 1 per 4 KB; eventually: half). */
  readUnits: number;
  /** Write request units of the tables (1 per KB of each item written). */
  writeUnits: number;
  /** Write request units of global secondary indexes. */
  indexWriteUnits: number;
  /** S3 calls by operation (PutObject, GetObject, UploadPart, ...). */
  s3Requests: Record<string, number>;
  /** Standard Workflow state transitions (states entered, Map iterations' included, retries). */
  stateTransitions: number;
}

/** A scope with nothing counted yet (its fields set as operations are counted). */
export function emptyScope(over: Partial<MeasuredScope> = {}): MeasuredScope {
  return {
    scales: false,
    lambdaMemoryMB: 0,
    lambdaInvocations: 0,
    lambdaSeconds: 0,
    invocationSeconds: 0,
    dynamodbRequests: {},
    readUnits: 0,
    writeUnits: 0,
    indexWriteUnits: 0,
    s3Requests: {},
    stateTransitions: 0,
    ...over,
  };
}

export interface MeasuredImport {
  transactions: number;
  packageBytes: number;
  /** The items written, as DynamoDB JSON lines: the uncompressed source Import from S3 would read for the same data. */
  importSourceBytes: number;
  itemsWritten: number;
  scopes: Record<string, MeasuredScope>;
  /** Counted, not priced: what depends on the client, not the import (status polls). */
  excluded?: Record<string, MeasuredScope>;
}

const S3_TIER1 = new Set(['PutObject', 'CopyObject', 'PostObject', 'CreateMultipartUpload', 'UploadPart', 'UploadPartCopy', 'CompleteMultipartUpload', 'ListObjects', 'ListObjectsV2', 'ListObjectVersions', 'ListMultipartUploads', 'ListParts']);
const S3_FREE = new Set(['DeleteObject', 'DeleteObjects', 'AbortMultipartUpload']);

/** S3's price class of an operation: 1 (PUT, COPY, POST, LIST, multipart parts), 2 (GET, HEAD, others), 0 (DELETE, abort: free). */
export function s3Tier(operation: string): 0 | 1 | 2 {
  if (S3_TIER1.has(operation)) return 1;
  if (S3_FREE.has(operation)) return 0;
  return 2;
}

/** The billable quantities of one scope. */
export interface Quantities {
  lambdaGbSeconds: number;
  lambdaRequests: number;
  writeUnits: number;
  indexWriteUnits: number;
  readUnits: number;
  s3Tier1: number;
  s3Tier2: number;
  stateTransitions: number;
}

export function quantities(s: MeasuredScope): Quantities {
  const s3 = Object.entries(s.s3Requests);
  return {
    lambdaGbSeconds: (s.lambdaSeconds * s.lambdaMemoryMB) / 1024,
    lambdaRequests: s.lambdaInvocations,
    writeUnits: s.writeUnits,
    indexWriteUnits: s.indexWriteUnits,
    readUnits: s.readUnits,
    s3Tier1: s3.filter(([op]) => s3Tier(op) === 1).reduce((a, [, n]) => a + n, 0),
    s3Tier2: s3.filter(([op]) => s3Tier(op) === 2).reduce((a, [, n]) => a + n, 0),
    stateTransitions: s.stateTransitions,
  };
}

/** A scope's quantities for an import of `transactions`: scaled per transaction, or as measured. */
export function scaledQuantities(m: MeasuredImport, s: MeasuredScope, transactions: number): Quantities {
  const q = quantities(s);
  const f = s.scales ? transactions / m.transactions : 1;
  return Object.fromEntries(Object.entries(q).map(([k, v]) => [k, v * f])) as unknown as Quantities;
}

export interface CostRow {
  resource: string;
  unit: string;
  /** The quantity and its dollars at each size asked for. */
  quantity: number[];
  dollars: number[];
}

export interface CostTable {
  sizes: number[];
  rows: CostRow[];
  /** The sum of the rows, at each size. */
  total: number[];
  /** DynamoDB Import from S3 of the same items: GB of DynamoDB JSON and dollars, at each size. */
  importFromS3: { gb: number[]; dollars: number[] };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** The cost of importing each size, row by row, at the prices above. */
export function costTable(m: MeasuredImport, sizes: number[] = [100_000, 1_000_000], lambdaPerGbSecond = LAMBDA_ARM_PER_GB_SECOND): CostTable {
  if (!(m.transactions > 0)) throw new Error('the measured import has no transactions');
  const scopes = Object.entries(m.scopes);
  const at = (size: number) => scopes.map(([name, s]) => ({ name, s, q: scaledQuantities(m, s, size) }));
  const rows: CostRow[] = [];
  const row = (resource: string, unit: string, quantity: (size: number) => number, price: number) => {
    const q = sizes.map(quantity);
    rows.push({ resource, unit, quantity: q, dollars: q.map((x) => x * price) });
  };
  for (const [name, s] of scopes) {
    if (!s.lambdaMemoryMB || !s.lambdaInvocations) continue;
    row(`Lambda: ${name} (${s.lambdaMemoryMB.toLocaleString('en')} MB)`, 'GB-s', (size) => scaledQuantities(m, s, size).lambdaGbSeconds, lambdaPerGbSecond);
  }
  row('Lambda requests', 'requests', (size) => sum(at(size).map((x) => x.q.lambdaRequests)), LAMBDA_PER_REQUEST);
  row('DynamoDB writes, tables', 'WRU', (size) => sum(at(size).map((x) => x.q.writeUnits)), DYNAMODB_PER_WRITE_UNIT);
  row('DynamoDB writes, global secondary indexes', 'WRU', (size) => sum(at(size).map((x) => x.q.indexWriteUnits)), DYNAMODB_PER_WRITE_UNIT);
  row('DynamoDB reads', 'RRU', (size) => sum(at(size).map((x) => x.q.readUnits)), DYNAMODB_PER_READ_UNIT);
  row('S3 PUT, COPY, POST, LIST (journal parts, staging, multipart parts)', 'requests', (size) => sum(at(size).map((x) => x.q.s3Tier1)), S3_TIER1_PER_REQUEST);
  row('S3 GET, HEAD', 'requests', (size) => sum(at(size).map((x) => x.q.s3Tier2)), S3_TIER2_PER_REQUEST);
  row('Step Functions state transitions', 'transitions', (size) => sum(at(size).map((x) => x.q.stateTransitions)), SFN_PER_TRANSITION);
  const total = sizes.map((_, i) => sum(rows.map((r) => r.dollars[i])));
  const gb = sizes.map((size) => (m.importSourceBytes * (size / m.transactions)) / BYTES_PER_GB);
  return { sizes, rows, total, importFromS3: { gb, dollars: gb.map((g) => g * DYNAMODB_IMPORT_PER_GB) } };
}

/** Per 1,000 transactions, the quantities of the scaling phases (what grows with the package). */
export function perThousand(m: MeasuredImport): Quantities {
  const q = Object.values(m.scopes)
    .filter((s) => s.scales)
    .map(quantities);
  const keys = Object.keys(quantities(Object.values(m.scopes)[0] ?? ({ s3Requests: {} } as MeasuredScope))) as Array<keyof Quantities>;
  return Object.fromEntries(keys.map((k) => [k, (sum(q.map((x) => x[k])) * 1000) / m.transactions])) as unknown as Quantities;
}

const fmtQuantity = (x: number) => (x >= 100 || Number.isInteger(x) ? Math.round(x).toLocaleString('en') : x >= 1 ? x.toFixed(1) : x.toFixed(2));
export const fmtDollars = (x: number) => (x === 0 ? '$0' : x < 0.0001 ? '< $0.0001' : x < 0.01 ? `$${x.toFixed(4)}` : x < 100 ? `$${x.toFixed(3)}` : `$${Math.round(x).toLocaleString('en')}`);

/** The table as markdown lines. */
export function costTableMarkdown(m: MeasuredImport, t: CostTable = costTable(m)): string[] {
  const head = t.sizes.map((s) => `${s.toLocaleString('en')} tx: quantity | ${s.toLocaleString('en')} tx: $`).join(' | ');
  const lines = [`| resource | unit | ${head} |`, `|---|---|${t.sizes.map(() => '---|---|').join('')}`];
  for (const r of t.rows) lines.push(`| ${r.resource} | ${r.unit} | ${r.quantity.map((q, i) => `${fmtQuantity(q)} | ${fmtDollars(r.dollars[i])}`).join(' | ')} |`);
  lines.push(`| **total** | | ${t.total.map((d) => `| **${fmtDollars(d)}**`).join(' | ')} |`);
  lines.push(
    `| DynamoDB Import from S3 of the same items (new table only) | GB of DynamoDB JSON | ${t.importFromS3.gb.map((g, i) => `${g.toFixed(2)} | ${fmtDollars(t.importFromS3.dollars[i])}`).join(' | ')} |`,
  );
  return lines;
}
