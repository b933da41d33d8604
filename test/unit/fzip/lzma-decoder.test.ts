import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { lzma } from '@napi-rs/lzma';
import { ZipLzmaDecompressStream, LzmaDataError } from '../../../functions/fzip/lzma/lzma-decoder';

/** Turns an `.lzma` (alone) stream into the body of a ZIP method-14 entry. */
function zipLzmaBody(alone: Buffer): Buffer {
  return Buffer.concat([Buffer.from([9, 4, 5, 0]), alone.subarray(0, 5), alone.subarray(13)]);
}

async function decode(body: Buffer, size: number, hasEndMarker = true, chunk = 1000): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunk) parts.push(body.subarray(i, i + chunk));
  const out: Buffer[] = [];
  const s = Readable.from(parts).pipe(
    new ZipLzmaDecompressStream({ uncompressedSize: size, hasEndMarker, maxDictSize: 64 << 20 }),
  );
  for await (const c of s) out.push(c as Buffer);
  return Buffer.concat(out);
}

describe('ZipLzmaDecompressStream', () => {
  const text = Buffer.from(
    Array.from({ length: 5000 }, (_, i) => `{"id":${i},"description":"TESCO STORES ${i % 37}","amount":"-${i}.50"}`).join(','),
  );

  it('decodes a stream with an end marker, fed in small chunks', async () => {
    const body = zipLzmaBody(lzma.compressSync(text));
    expect((await decode(body, text.length, true, 7)).equals(text)).toBe(true);
  });

  it('decodes incompressible data and empty input', async () => {
    const rnd = randomBytes(200_000);
    expect((await decode(zipLzmaBody(lzma.compressSync(rnd)), rnd.length, true, 65536)).equals(rnd)).toBe(true);
    expect((await decode(zipLzmaBody(lzma.compressSync(Buffer.alloc(0))), 0)).length).toBe(0);
  });

  it('rejects a truncated stream with LzmaDataError', async () => {
    const body = zipLzmaBody(lzma.compressSync(text));
    await expect(decode(body.subarray(0, body.length - 40), text.length)).rejects.toBeInstanceOf(LzmaDataError);
  });

  it('rejects a dictionary larger than the limit', async () => {
    const body = zipLzmaBody(lzma.compressSync(text));
    body.writeUInt32LE(0x7fffffff, 5);
    await expect(decode(body, text.length)).rejects.toThrow(/dictionary size/);
  });
});
