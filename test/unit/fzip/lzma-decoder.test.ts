import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
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

describe('ZipLzmaDecompressStream: every lc/lp/pb, and hostile input', () => {
  // Streams made by liblzma (Python's lzma module) for every lc/lp/pb it accepts, of the same data.
  const fixtures = JSON.parse(readFileSync(join(__dirname, '../../fixtures/lzma-props.json'), 'utf8')) as {
    data: string;
    cases: Array<{ lc: number; lp: number; pb: number; alone: string }>;
    smallDictionary: { dictSize: number; data: string; alone: string };
  };
  const data = Buffer.from(fixtures.data, 'base64');

  it.each(fixtures.cases.map((c) => [c.lc, c.lp, c.pb, c.alone]))('decodes lc=%i lp=%i pb=%i, with and without relying on the end marker', async (_lc, _lp, _pb, alone) => {
    const body = zipLzmaBody(Buffer.from(alone as string, 'base64'));
    expect((await decode(body, data.length, true, 333)).equals(data)).toBe(true);
    // without the end-marker flag, the declared size ends the entry
    expect((await decode(body, data.length, false, 4096)).equals(data)).toBe(true);
  });

  it('decodes through a dictionary far smaller than the output: the ring buffer wraps and matches cross its end', async () => {
    const small = fixtures.smallDictionary;
    const expected = Buffer.from(small.data, 'base64');
    const body = zipLzmaBody(Buffer.from(small.alone, 'base64'));
    expect(body.readUInt32LE(5)).toBe(small.dictSize);
    for (const chunk of [7, 777, 65536]) expect((await decode(body, expected.length, true, chunk)).equals(expected)).toBe(true);
    expect((await decode(body, expected.length, false, 4096)).equals(expected)).toBe(true);
  });

  describe('bounded by the declared size, whatever the stream says', () => {
    // 16 MiB of zeros compress to a few KB: an entry that claims 1,000 bytes.
    const zeros = Buffer.alloc(16 << 20);
    const bomb = zipLzmaBody(lzma.compressSync(zeros));

    it('an entry with the end-marker flag that expands past its declared size fails at the declared size, not after', async () => {
      const stream = Readable.from([bomb]).pipe(new ZipLzmaDecompressStream({ uncompressedSize: 1000, hasEndMarker: true, maxDictSize: 64 << 20 }));
      let received = 0;
      const consume = async () => {
        for await (const c of stream) received += (c as Buffer).length;
      };
      await expect(consume()).rejects.toThrow(/longer than the declared size/);
      expect(received).toBeLessThanOrEqual(1000);
    });

    it('an entry cut a few bytes short says it is truncated, not that it is too long', async () => {
      const data = Buffer.from(Array.from({ length: 2000 }, (_, i) => `{"n":${i},"memo":"GROCERIES ${i % 13}"}`).join(','));
      const full = zipLzmaBody(lzma.compressSync(data));
      // (one or two bytes of the range coder's final flush may be missing without changing a bit
      // of the output, which the entry's CRC-32 confirms; from a few bytes on the output is lost)
      for (const cut of [5, 10, 30]) {
        await expect(decode(full.subarray(0, full.length - cut), data.length, true)).rejects.toThrow(/truncated/);
      }
    });

    it('an end marker before the declared size is an error', async () => {
      const short = Buffer.from('twelve bytes');
      await expect(decode(zipLzmaBody(lzma.compressSync(short)), short.length + 1, true)).rejects.toThrow(/end marker before the declared size/);
    });

    it('streams a highly compressed entry with backpressure: at most two pieces of about a MiB wait for a slow reader', async () => {
      const stream = Readable.from([bomb]).pipe(new ZipLzmaDecompressStream({ uncompressedSize: zeros.length, hasEndMarker: true, maxDictSize: 64 << 20 }));
      let received = 0;
      let mostBuffered = 0;
      for await (const c of stream) {
        received += (c as Buffer).length;
        mostBuffered = Math.max(mostBuffered, stream.readableLength);
        await new Promise((r) => setImmediate(r)); // a slow reader
      }
      expect(received).toBe(zeros.length);
      // a piece is 1 MiB plus at most one match (273 bytes); one more may be pushed as the reader reads
      expect(mostBuffered).toBeLessThan(3 << 20);
    });
  });

  it('refuses an lc/lp/pb byte out of range with LzmaDataError', async () => {
    const body = zipLzmaBody(Buffer.from(fixtures.cases[0].alone, 'base64'));
    body[4] = 225; // 9 * 5 * 5
    await expect(decode(body, data.length)).rejects.toBeInstanceOf(LzmaDataError);
  });

  it('fails fast with its own error class on corrupt or truncated input: never another error, never more bytes than declared', async () => {
    const valid = zipLzmaBody(Buffer.from(fixtures.cases[8].alone, 'base64'));
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.nat({ max: valid.length - 1 }), byte: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 8 }),
        fc.nat({ max: valid.length }),
        fc.boolean(),
        async (flips, cut, endMarker) => {
          const body = Buffer.from(valid.subarray(0, Math.max(9, cut)));
          for (const f of flips) if (f.at < body.length) body[f.at] = f.byte;
          try {
            const out = await decode(body, data.length, endMarker, 257);
            expect(out.length).toBeLessThanOrEqual(data.length);
          } catch (err) {
            expect(err).toBeInstanceOf(LzmaDataError);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
