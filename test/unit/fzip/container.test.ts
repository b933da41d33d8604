import { BufferRangeSource } from '../../../functions/fzip/source';
import { validatePackage } from '../../../functions/fzip/validator';
import { FzipLimits } from '../../../functions/fzip/limits';
import { housef3Entries, housef3Package, FILE1 } from '../../helpers/housef3-package';
import { buildZip, RawEntry } from '../../helpers/raw-zip';

async function firstError(buf: Buffer, limits?: Partial<FzipLimits>) {
  const report = await validatePackage(new BufferRangeSource(buf, 'hostile.fzip'), { limits });
  expect(report.valid).toBe(false);
  return report.errors[0];
}

const withExtra = (...extra: RawEntry[]) => buildZip([...housef3Entries(), ...extra]);
const statement = `files/${FILE1}/statement jan.csv`;

function replaceEntry(name: string, change: (e: RawEntry) => RawEntry): Buffer {
  return buildZip(housef3Entries().map((e) => (e.name === name ? change(e) : e)));
}

describe('container checks on hostile packages', () => {
  it.each<[string, () => Buffer, string, Partial<FzipLimits>]>([
    ['zip slip ../', () => withExtra({ name: '../evil.txt', data: 'x' }), 'INVALID_ENTRY_NAME', {}],
    ['zip slip inside files/', () => withExtra({ name: `files/${FILE1}/../../evil`, data: 'x' }), 'INVALID_ENTRY_NAME', {}],
    ['an absolute path', () => withExtra({ name: '/etc/passwd', data: 'x' }), 'INVALID_ENTRY_NAME', {}],
    ['a drive letter', () => withExtra({ name: 'C:/x.txt', data: 'x' }), 'INVALID_ENTRY_NAME', {}],
    ['a backslash', () => withExtra({ name: 'data\\accounts.json', data: '[]' }), 'INVALID_ENTRY_NAME', {}],
    ['a control character', () => withExtra({ name: `files/${FILE1}/a\u0001.csv`, data: 'x' }), 'INVALID_ENTRY_NAME', {}],
    ['a NUL byte', () => withExtra({ name: `files/${FILE1}/a\u0000.csv`, data: 'x' }), 'INVALID_ENTRY_NAME', {}],
    ['invalid UTF-8 in a name flagged UTF-8', () => withExtra({ name: Buffer.from([0x66, 0xff, 0x66]), data: 'x' }), 'INVALID_ENTRY_NAME', {}],
    ['non-ASCII in a name not flagged UTF-8', () => withExtra({ name: Buffer.from(`files/${FILE1}/caf\u00e9.csv`, 'latin1'), data: 'x', flags: 0 }), 'INVALID_ENTRY_NAME', {}],
    ['a name too long', () => withExtra({ name: `files/${FILE1}/${'a'.repeat(190)}.csv`, data: 'x' }), 'INVALID_ENTRY_NAME', { maxEntryNameBytes: 100 }],
    ['an unexpected entry', () => withExtra({ name: 'README.txt', data: 'x' }), 'UNEXPECTED_ENTRY', {}],
    ['a dot segment', () => withExtra({ name: './manifest.json', data: '{}' }), 'UNEXPECTED_ENTRY', {}],
    ['an empty segment', () => withExtra({ name: 'data//accounts.json', data: '[]' }), 'UNEXPECTED_ENTRY', {}],
    ['a directory entry with data', () => withExtra({ name: 'files/', data: 'abc' }), 'UNEXPECTED_ENTRY', {}],
    ['a duplicate entry', () => withExtra({ name: 'manifest.json', data: '{}' }), 'DUPLICATE_ENTRY', {}],
    ['both accounts.json and accounts.json.gz', () => withExtra({ name: 'data/accounts.json', data: '[]' }), 'AMBIGUOUS_DATA_FILE', {}],
    ['a symlink', () => withExtra({ name: `files/${FILE1}/link`, data: '../../etc/passwd', versionMadeBy: 0x0314, externalAttributes: (0o120777 << 16) >>> 0 }), 'SYMLINK_ENTRY', {}],
    ['an encrypted entry', () => replaceEntry(statement, (e) => ({ ...e, flags: 0x801 })), 'ENCRYPTED_ENTRY', {}],
    ['an unsupported compression method (bzip2)', () => replaceEntry(statement, (e) => ({ ...e, method: 12, rawBody: Buffer.from('BZh9') })), 'UNSUPPORTED_COMPRESSION', {}],
    ['a lying uncompressed size (deflate)', () => replaceEntry(statement, (e) => ({ ...e, uncompressedSize: 10 })), 'ENTRY_SIZE_MISMATCH', {}],
    ['a lying size (stored)', () => replaceEntry(statement, (e) => ({ ...e, method: 0, uncompressedSize: 5 })), 'ENTRY_SIZE_MISMATCH', {}],
    ['a CRC mismatch', () => replaceEntry('data/accounts.json.gz', (e) => ({ ...e, crc32: 42 })), 'CRC_MISMATCH', {}],
    ['corrupt deflate data', () => replaceEntry(statement, (e) => ({ ...e, rawBody: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]) })), 'CORRUPT_ENTRY', {}],
    ['corrupt LZMA data', () => replaceEntry(statement, (e) => ({ ...e, method: 14, rawBody: Buffer.from([9, 4, 5, 0, 0x5d, 0, 0, 0x80, 0, 1, 2, 3, 4, 5, 6, 7, 8]) })), 'CORRUPT_ENTRY', {}],
    ['an entry above the per-entry limit', () => housef3Package(), 'ENTRY_TOO_LARGE', { maxEntryBytes: 100 }],
    ['a package above the total uncompressed limit', () => housef3Package(), 'PACKAGE_UNCOMPRESSED_TOO_LARGE', { maxTotalUncompressedBytes: 3000 }],
    ['a compression ratio above the limit', () => withExtra({ name: `files/${FILE1}/zeros.bin`, data: Buffer.alloc(2_000_000) }), 'COMPRESSION_RATIO_TOO_HIGH', {}],
    ['too many entries', () => housef3Package(), 'TOO_MANY_ENTRIES', { maxEntries: 3 }],
    ['a package above the size limit', () => housef3Package(), 'PACKAGE_TOO_LARGE', { maxPackageBytes: 1000 }],
    ['a local header that disagrees with the central directory', () => replaceEntry(statement, (e) => ({ ...e, localName: `files/${FILE1}/other.csv` })), 'LOCAL_HEADER_MISMATCH', {}],
    ['overlapping entries (non-recursive zip bomb)', () => withExtra({ name: `files/${FILE1}/copy.csv`, data: 'x', shareLocalHeaderOf: 1 }), 'LOCAL_HEADER_MISMATCH', {}],
    ['a truncated archive', () => housef3Package().subarray(0, 500), 'NOT_A_ZIP', {}],
    ['appended data', () => Buffer.concat([housef3Package(), Buffer.from('trailing junk')]), 'NOT_A_ZIP', {}],
    ['prepended data', () => Buffer.concat([Buffer.from('PK\u0003\u0004junk'), housef3Package()]), 'NOT_A_ZIP', {}],
    ['no manifest', () => buildZip(housef3Entries().filter((e) => e.name !== 'manifest.json')), 'MISSING_MANIFEST', {}],
    ['a manifest that is not JSON', () => replaceEntry('manifest.json', (e) => ({ ...e, data: '{nope' })), 'INVALID_MANIFEST', {}],
    ['a manifest that is an array', () => replaceEntry('manifest.json', (e) => ({ ...e, data: '[]' })), 'INVALID_MANIFEST', {}],
  ])('rejects %s', async (_name, make, code, limits) => {
    const err = await firstError(make(), limits);
    expect(err.code).toBe(code);
    expect(err.message.length).toBeGreaterThan(10);
  });

  it('names the refused entry in `file` for names the ZIP library refuses (zip slip, absolute, backslash)', async () => {
    for (const name of ['../evil.txt', '/etc/passwd', 'data\\accounts.json']) {
      const err = await firstError(withExtra({ name, data: 'x' }));
      expect(err).toMatchObject({ code: 'INVALID_ENTRY_NAME', file: name });
    }
  });

  it('rejects an entry hidden inside the data of another entry (overlap with matching headers)', async () => {
    const inner: RawEntry = { name: `files/${FILE1}/inner.csv`, data: 'hello', method: 0 };
    const innerLocal = buildZip([inner]).subarray(0, 30 + Buffer.byteLength(String(inner.name)) + 5);
    const outerName = `files/${FILE1}/outer.bin`;
    const entries: RawEntry[] = [...housef3Entries(), { name: outerName, method: 0, data: innerLocal }];
    const first = buildZip(entries);
    const outerOffset = first.indexOf(outerName) - 30;
    const dataStart = outerOffset + 30 + outerName.length;
    const err = await firstError(buildZip([...entries, { ...inner, localHeaderOffset: dataStart }]));
    expect(err.code).toBe('OVERLAPPING_ENTRIES');
  });

  it('never throws on random bytes', async () => {
    for (let i = 0; i < 50; i++) {
      const good = housef3Package();
      const bad = Buffer.from(good);
      for (let k = 0; k < 20; k++) bad[Math.floor(Math.random() * bad.length)] = Math.floor(Math.random() * 256);
      const report = await validatePackage(new BufferRangeSource(bad, 'fuzz.fzip'));
      expect(typeof report.valid).toBe('boolean');
    }
  });
});
