import {
  BYTES_PER_GB,
  LAMBDA_ARM_PER_GB_SECOND,
  MeasuredImport,
  emptyScope,
  costTable,
  costTableMarkdown,
  fmtDollars,
  perThousand,
  quantities,
  s3Tier,
} from '../../../bench/cost-model';

const scope = emptyScope;

/** 1,000 transactions: a scaling phase and a fixed one. */
const measured: MeasuredImport = {
  transactions: 1000,
  packageBytes: 80_000,
  importSourceBytes: 1_000_000,
  itemsWritten: 1000,
  scopes: {
    'Import transactions': scope({
      scales: true,
      lambdaMemoryMB: 1024,
      lambdaInvocations: 1,
      lambdaSeconds: 2,
      readUnits: 1000,
      writeUnits: 1000,
      indexWriteUnits: 1000,
      s3Requests: { PutObject: 4, GetObject: 1, DeleteObject: 3 },
      stateTransitions: 2,
    }),
    'Import accounts': scope({ lambdaMemoryMB: 512, lambdaInvocations: 1, lambdaSeconds: 1, writeUnits: 10, s3Requests: { ListObjectsV2: 1, HeadObject: 2 }, stateTransitions: 1 }),
    'Upload (client)': scope({ s3Requests: { PostObject: 1 } }),
  },
};

describe('cost model', () => {
  it('sorts S3 operations into price classes', () => {
    expect(['PutObject', 'CopyObject', 'PostObject', 'UploadPart', 'CompleteMultipartUpload', 'ListObjectsV2'].map(s3Tier)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(['GetObject', 'HeadObject'].map(s3Tier)).toEqual([2, 2]);
    expect(['DeleteObject', 'DeleteObjects', 'AbortMultipartUpload'].map(s3Tier)).toEqual([0, 0, 0]);
  });

  it('turns a scope into billable quantities', () => {
    const q = quantities(measured.scopes['Import transactions']);
    expect(q.lambdaGbSeconds).toBe(2); // 2 s × 1 GB
    expect(q.s3Tier1).toBe(4);
    expect(q.s3Tier2).toBe(1); // the deletes are free
  });

  it('scales the growing phases per transaction and keeps the fixed ones', () => {
    const t = costTable(measured, [100_000, 1_000_000]);
    const row = (name: string) => t.rows.find((r) => r.resource.startsWith(name))!;
    // 1 WRU per transaction × 100,000, plus the fixed phase's 10
    expect(row('DynamoDB writes, tables').quantity).toEqual([100_010, 1_000_010]);
    expect(row('DynamoDB writes, tables').dollars[1]).toBeCloseTo(1_000_010 * 0.625e-6, 10);
    expect(row('DynamoDB writes, global secondary indexes').quantity).toEqual([100_000, 1_000_000]);
    expect(row('DynamoDB reads').dollars[1]).toBeCloseTo(0.125, 10);
    // S3: 4 PUTs per 1,000 scaled, 1 LIST and 1 POST fixed
    expect(row('S3 PUT').quantity).toEqual([402, 4002]);
    expect(row('S3 GET').quantity).toEqual([102, 1002]);
    expect(row('Step Functions').quantity).toEqual([201, 2001]);
    expect(row('Step Functions').dollars[0]).toBeCloseTo(201 * 0.000025, 12);
    // Lambda: 2 GB-s per 1,000 at 1 GB; 0.5 GB-s fixed
    expect(row('Lambda: Import transactions').quantity).toEqual([200, 2000]);
    expect(row('Lambda: Import transactions').dollars[0]).toBeCloseTo(200 * LAMBDA_ARM_PER_GB_SECOND, 12);
    expect(row('Lambda: Import accounts').quantity).toEqual([0.5, 0.5]);
    expect(row('Lambda requests').quantity).toEqual([101, 1001]);
    // no Lambda row for the client's upload
    expect(t.rows.some((r) => r.resource.includes('Upload'))).toBe(false);
  });

  it('adds the rows into the total', () => {
    const t = costTable(measured);
    t.total.forEach((total, i) => expect(total).toBeCloseTo(t.rows.reduce((a, r) => a + r.dollars[i], 0), 12));
    // writes dominate: 2,000,010 WRU at 1M are $1.25
    expect(t.total[1]).toBeGreaterThan(1.25);
    expect(t.total[1]).toBeLessThan(1.25 + 0.125 + 0.1);
  });

  it('prices Import from S3 on the uncompressed source of the same items', () => {
    const t = costTable(measured, [1_000_000]);
    expect(t.importFromS3.gb[0]).toBeCloseTo(1e9 / BYTES_PER_GB, 12);
    expect(t.importFromS3.dollars[0]).toBeCloseTo((1e9 / BYTES_PER_GB) * 0.15, 12);
  });

  it('reports per 1,000 transactions what grows', () => {
    expect(perThousand(measured)).toMatchObject({ writeUnits: 1000, indexWriteUnits: 1000, readUnits: 1000, s3Tier1: 4, stateTransitions: 2, lambdaRequests: 1 });
  });

  it('refuses a run without transactions', () => {
    expect(() => costTable({ ...measured, transactions: 0 })).toThrow(/no transactions/);
  });

  it('writes a markdown table with a total and the Import from S3 row', () => {
    const lines = costTableMarkdown(measured);
    expect(lines[0]).toMatch(/^\| resource \| unit \| 100,000 tx: quantity \| 100,000 tx: \$ \| 1,000,000 tx: quantity \| 1,000,000 tx: \$ \|$/);
    const cells = (l: string) => l.split('|').length;
    for (const l of lines.slice(1)) expect(cells(l)).toBe(cells(lines[0]));
    expect(lines.some((l) => l.startsWith('| **total**'))).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/^\| DynamoDB Import from S3/);
    expect(fmtDollars(1.5)).toBe('$1.500');
    expect(fmtDollars(0.00002)).toBe('< $0.0001');
  });
});
