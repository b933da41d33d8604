import fc from 'fast-check';
import { StrictUtf8Decoder, Utf8DecodeError } from '../../../functions/fzip/json/utf8-decoder';

/** What TextDecoder (fatal, BOM dropped) makes of the chunks: the text, or 'error'. */
function reference(chunks: Buffer[]): string {
  const d = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  try {
    return chunks.map((c) => d.decode(c, { stream: true })).join('') + d.decode();
  } catch {
    return 'error';
  }
}

function ours(chunks: Buffer[]): string {
  const d = new StrictUtf8Decoder();
  try {
    return chunks.map((c) => d.write(c)).join('') + d.end();
  } catch (err) {
    if (err instanceof Utf8DecodeError) return 'error';
    throw err;
  }
}

/** Cuts bytes at the given points. */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of at) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

describe('StrictUtf8Decoder', () => {
  it('decodes text with characters of every length split anywhere, dropping one leading BOM', () => {
    const text = '\ufeff€ a😀b ü 中文 \ufeff';
    const bytes = Buffer.from(text, 'utf8');
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        expect(ours(cut(bytes, [i, j]))).toBe(text.slice(1));
      }
    }
  });

  it('rejects what TextDecoder rejects: bad bytes, overlongs, surrogates, a truncated end', () => {
    for (const bad of [[0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x61, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xef, 0xbb]]) {
      expect(ours([Buffer.from(bad)])).toBe('error');
      expect(reference([Buffer.from(bad)])).toBe('error');
    }
  });

  it('agrees with TextDecoder on any bytes, cut into any chunks', () => {
    const bytesArb = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
      fc.tuple(fc.string({ unit: 'grapheme', maxLength: 10 }), fc.uint8Array({ maxLength: 3 })).map(([s, tail]) => new Uint8Array(Buffer.concat([Buffer.from('\ufeff' + s), Buffer.from(tail)]))),
    );
    fc.assert(
      fc.property(bytesArb, fc.array(fc.nat(), { maxLength: 5 }), (bytes, points) => {
        const chunks = cut(Buffer.from(bytes), points);
        expect(ours(chunks)).toBe(reference(chunks));
      }),
      { numRuns: 2000 },
    );
  });
});
