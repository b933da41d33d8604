import { PassThrough } from 'node:stream';
import { BufferRangeSource } from '../../../functions/fzip/source';
import { validatePackage } from '../../../functions/fzip/validator';
import { writePackage, PackageInput, WriteOptions } from '../../../functions/fzip/writer';
import { PlainRecord } from '../../../functions/fzip/normalize';
import { EntityKind, ENTITY_KINDS } from '../../../functions/fzip/entities';
import { syntheticPackage, pythonNormalizedDecimal, transactionHash } from '../../../cli/synthetic-package';

async function toBuffer(input: PackageInput, options?: WriteOptions): Promise<Buffer> {
  const out = new PassThrough();
  const parts: Buffer[] = [];
  out.on('data', (c: Buffer) => parts.push(c));
  await writePackage(input, out, options);
  return Buffer.concat(parts);
}

async function readBack(buf: Buffer) {
  const records: Record<string, PlainRecord[]> = {};
  const report = await validatePackage(new BufferRangeSource(buf, 'rt.fzip'), {
    onRecord: (kind: EntityKind, r: PlainRecord) => {
      (records[kind] ??= []).push(r);
    },
  });
  return { report, records };
}

async function materialize(input: PackageInput): Promise<Record<string, PlainRecord[]>> {
  const out: Record<string, PlainRecord[]> = {};
  for (const kind of ENTITY_KINDS) {
    out[kind] = [];
    for await (const r of (input[kind] ?? []) as AsyncIterable<PlainRecord>) {
      const { userId: _u, exportMetadata: _e, ...rest } = r;
      out[kind].push(rest);
    }
  }
  return out;
}

describe('writer -> reader round trip', () => {
  it.each([true, false])('is lossless for every entity (gzip data files: %s), with checksums and counts filled in', async (gzipData) => {
    const input = () => syntheticPackage({ transactions: 500, accounts: 2, files: 3, seed: 42 });
    const buf = await toBuffer(input(), { gzipData });
    const { report, records } = await readBack(buf);
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.counts).toEqual({ accounts: 2, categories: 14, fileMaps: 2, transactionFiles: 3, transactions: 500, statementFiles: 3 });
    expect(records).toEqual(await materialize(input()));
  });

  it('keeps extreme money strings and uint64 hashes exact', async () => {
    const acc = 'a0000000-0000-4000-8000-000000000001';
    const tx = (i: number, amount: string, hash: string) => ({
      transactionId: `e0000000-0000-4000-8000-00000000000${i}`, accountId: acc, date: 0, description: 'x', amount, transactionHash: hash,
    });
    const txs = [tx(1, '-0.00', '18446744073709551615'), tx(2, '-999999999999999.999999999999', '0'), tx(3, '1E+2', '9007199254740993')];
    const buf = await toBuffer({ accounts: [{ accountId: acc, accountName: 'A', accountType: 'other' }], transactions: txs });
    const { report, records } = await readBack(buf);
    expect(report.errors).toEqual([]);
    expect(records.transactions).toEqual(txs);
    expect(buf.includes(Buffer.from('18446744073709551615'))).toBe(false); // inside gzip: never as a JSON string
  });

  it('is deterministic for a seed', async () => {
    const a = await materialize(syntheticPackage({ transactions: 50, seed: 7 }));
    const b = await materialize(syntheticPackage({ transactions: 50, seed: 7 }));
    const c = await materialize(syntheticPackage({ transactions: 50, seed: 8 }));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});

describe('housef3 transaction hash', () => {
  it.each([
    ['-12.340', '-12.34'],
    ['100', '1E+2'],
    ['0.00', '0'],
    ['2500.00', '2.5E+3'],
    ['0.0001', '0.0001'],
    ['12.5', '12.5'],
    ['-0.00', '-0'],
    ['1e-7', '1E-7'],
    ['1.50E+3', '1.5E+3'],
    ['-2.5e2', '-2.5E+2'],
  ])('normalizes %s like Python Decimal.normalize() (%s)', (input, expected) => {
    expect(pythonNormalizedDecimal(input)).toBe(expected);
  });

  it('is an unsigned 64-bit integer string', () => {
    const h = transactionHash('a0000000-0000-4000-8000-000000000001', 1704067200000, '-12.34', 'TESCO STORES');
    expect(h).toMatch(/^[0-9]+$/);
    expect(BigInt(h) < 2n ** 64n).toBe(true);
  });
});
