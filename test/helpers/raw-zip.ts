/**
 * A ZIP builder with full control over every header field, to make hostile packages that
 * no well-behaved zip library would write (lying sizes, bad CRCs, overlaps, symlinks, ...).
 */
import zlib from 'node:zlib';
import { lzma } from '@napi-rs/lzma';

export interface RawEntry {
  name: string | Buffer;
  /** Uncompressed content. */
  data?: Buffer | string;
  method?: 0 | 8 | 12 | 14;
  /** Overrides, applied to the central directory (and the local header unless localName is set). */
  crc32?: number;
  compressedSize?: number;
  uncompressedSize?: number;
  flags?: number;
  versionMadeBy?: number;
  externalAttributes?: number;
  /** A different name in the local header than in the central directory. */
  localName?: string;
  /** Point this central record at the local header of entry N (overlap). */
  shareLocalHeaderOf?: number;
  /** Point this central record at an absolute offset and write no local header for it. */
  localHeaderOffset?: number;
  /** Raw compressed bytes to store instead of compressing `data`. */
  rawBody?: Buffer;
}

function crc32(buf: Buffer): number {
  return zlib.crc32(buf) >>> 0;
}

function compress(data: Buffer, method: number): Buffer {
  if (method === 8) return zlib.deflateRawSync(data);
  if (method === 14) {
    const alone = lzma.compressSync(data);
    return Buffer.concat([Buffer.from([9, 4, 5, 0]), alone.subarray(0, 5), alone.subarray(13)]);
  }
  return data;
}

export function buildZip(entries: RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  const offsets: number[] = [];
  let offset = 0;
  entries.forEach((e, i) => {
    const data = Buffer.isBuffer(e.data) ? e.data : Buffer.from(e.data ?? '');
    const method = e.method ?? 8;
    const body = e.rawBody ?? compress(data, method);
    const name = Buffer.isBuffer(e.name) ? e.name : Buffer.from(e.name, 'utf8');
    const crc = e.crc32 ?? crc32(data);
    const csize = e.compressedSize ?? body.length;
    const usize = e.uncompressedSize ?? data.length;
    const flags = e.flags ?? (method === 14 ? 0x802 : 0x800);
    let localOffset = offset;
    if (e.shareLocalHeaderOf !== undefined) {
      localOffset = offsets[e.shareLocalHeaderOf];
    } else if (e.localHeaderOffset !== undefined) {
      localOffset = e.localHeaderOffset;
    } else {
      const lname = e.localName !== undefined ? Buffer.from(e.localName, 'utf8') : name;
      const lh = Buffer.alloc(30);
      lh.writeUInt32LE(0x04034b50, 0);
      lh.writeUInt16LE(20, 4);
      lh.writeUInt16LE(flags, 6);
      lh.writeUInt16LE(method, 8);
      lh.writeUInt32LE(0, 10);
      lh.writeUInt32LE(crc, 14);
      lh.writeUInt32LE(csize, 18);
      lh.writeUInt32LE(usize, 22);
      lh.writeUInt16LE(lname.length, 26);
      lh.writeUInt16LE(0, 28);
      const local = Buffer.concat([lh, lname, body]);
      locals.push(local);
      offset += local.length;
    }
    offsets[i] = localOffset;
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(e.versionMadeBy ?? 20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(flags, 8);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt32LE(0, 12);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(csize, 20);
    ch.writeUInt32LE(usize, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt16LE(0, 30);
    ch.writeUInt16LE(0, 32);
    ch.writeUInt16LE(0, 34);
    ch.writeUInt16LE(0, 36);
    ch.writeUInt32LE(e.externalAttributes ?? 0, 38);
    ch.writeUInt32LE(localOffset, 42);
    centrals.push(Buffer.concat([ch, name]));
  });
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}
