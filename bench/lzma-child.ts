/**
 * LZMA (ZIP method 14) in a fresh process, against liblzma on the same bytes:
 *   node dist/bench/lzma-child.js <package.fzip> <lzma-package.fzip> [plain]
 * Writes the LZMA package once (every entry of the deflate package recompressed with LZMA and
 * an end marker, as housef3 writes packages over 50 MiB; with "plain", the data files are
 * stored as plain JSON instead of housef3's gzip, so LZMA has text to compress), then measures:
 * - our streaming decoder over every entry's raw bytes, fed in 64 KiB chunks like a GET body;
 * - the floor: liblzma (@napi-rs/lzma, whole buffers) decoding the same streams;
 * - the validator over the LZMA package (every check, statement files verified).
 * prints {entries, compressedBytes, bytes, oursSeconds, liblzmaSeconds, validateSeconds, records}.
 */
import '../local/polyfills';
import { existsSync, writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import yauzl from 'yauzl';
import { lzma } from '@napi-rs/lzma';
import { ZipLzmaDecompressStream } from '../functions/fzip/lzma/lzma-decoder';
import { FileRangeSource } from '../functions/fzip/source';
import { validatePackage } from '../functions/fzip/validator';
import { totalCount } from '../functions/fzip/entities';
import { buildZip } from '../test/helpers/raw-zip';

async function readAll(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function writeLzmaPackage(from: string, to: string, plain: boolean): Promise<void> {
  const zip = await yauzl.openPromise(from, { lazyEntries: true, autoClose: false });
  const entries: Array<{ name: string; data: Buffer; method: 14 }> = [];
  for await (const entry of zip.eachEntry()) {
    const data = await readAll(await zip.openReadStreamPromise(entry));
    const unzip = plain && entry.fileName.startsWith('data/') && entry.fileName.endsWith('.json.gz');
    entries.push({ name: unzip ? entry.fileName.slice(0, -3) : entry.fileName, data: unzip ? gunzipSync(data) : data, method: 14 });
  }
  if (plain) {
    // The manifest's checksums name the entries: name the plain data files, with their own hashes.
    const manifest = entries.find((e) => e.name === 'manifest.json');
    if (manifest) {
      const m = JSON.parse(manifest.data.toString('utf8')) as { checksums?: Record<string, string> };
      const checksums: Record<string, string> = {};
      for (const [name, sum] of Object.entries(m.checksums ?? {})) {
        const plainName = name.startsWith('data/') && name.endsWith('.json.gz') ? name.slice(0, -3) : name;
        const entry = entries.find((e) => e.name === plainName);
        checksums[plainName] = plainName === name || !entry ? sum : `sha256:${createHash('sha256').update(entry.data).digest('hex')}`;
      }
      if (m.checksums) m.checksums = checksums;
      manifest.data = Buffer.from(JSON.stringify(m, null, 2));
    }
  }
  zip.close();
  writeFileSync(to, buildZip(entries));
}

interface RawLzmaEntry {
  /** The ZIP method-14 body: 4-byte header, 5 property bytes, the LZMA stream. */
  body: Buffer;
  size: number;
}

async function rawEntries(path: string): Promise<RawLzmaEntry[]> {
  const zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false });
  const out: RawLzmaEntry[] = [];
  for await (const entry of zip.eachEntry()) {
    out.push({ body: await readAll(await zip.openReadStreamPromise(entry, { decodeFileData: false })), size: entry.uncompressedSize });
  }
  zip.close();
  return out;
}

async function decodeOurs(e: RawLzmaEntry): Promise<number> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < e.body.length; i += 65536) chunks.push(e.body.subarray(i, i + 65536));
  let n = 0;
  const decoder = new ZipLzmaDecompressStream({ uncompressedSize: e.size, hasEndMarker: true, maxDictSize: 1 << 28 });
  for await (const c of Readable.from(chunks).pipe(decoder)) n += (c as Uint8Array).length;
  return n;
}

/** The same stream in the .lzma ("alone") container liblzma reads: properties, size unknown, data. */
function decodeLiblzma(e: RawLzmaEntry): number {
  const alone = Buffer.concat([e.body.subarray(4, 9), Buffer.alloc(8, 0xff), e.body.subarray(9)]);
  return lzma.decompressSync(alone).length;
}

async function main(): Promise<void> {
  const [from, to, mode] = process.argv.slice(2);
  if (!existsSync(to)) await writeLzmaPackage(from, to, mode === 'plain');
  const entries = await rawEntries(to);
  const bytes = entries.reduce((n, e) => n + e.size, 0);

  let t = process.hrtime.bigint();
  let liblzmaBytes = 0;
  for (const e of entries) liblzmaBytes += decodeLiblzma(e);
  const liblzmaSeconds = Number(process.hrtime.bigint() - t) / 1e9;

  t = process.hrtime.bigint();
  let oursBytes = 0;
  for (const e of entries) oursBytes += await decodeOurs(e);
  const oursSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (oursBytes !== bytes || liblzmaBytes !== bytes) throw new Error(`decoded ${oursBytes} / ${liblzmaBytes} bytes, expected ${bytes}`);

  t = process.hrtime.bigint();
  const report = await validatePackage(await FileRangeSource.open(to), { verifyStatementFiles: true, onRecord: () => undefined });
  const validateSeconds = Number(process.hrtime.bigint() - t) / 1e9;
  if (!report.valid) throw new Error(`LZMA benchmark package is invalid: ${report.errors[0]?.message}`);
  const c = report.counts;
  const records = totalCount(c);
  const compressedBytes = entries.reduce((n, e) => n + e.body.length, 0);
  process.stdout.write(JSON.stringify({ entries: entries.length, compressedBytes, bytes, oursSeconds, liblzmaSeconds, validateSeconds, records }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
