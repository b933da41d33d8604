/**
 * Streaming LZMA1 decoder for ZIP compression method 14.
 *
 * Why our own: yauzl only inflates methods 0 and 8, and the npm LZMA packages either
 * decode whole buffers only (lzma, @napi-rs/lzma 1.4) or need Node >= 22 / liblzma's xz
 * container (@napi-rs/lzma 1.5, node-liblzma). housef3 writes every entry with LZMA once a
 * user's statement files pass 50 MiB, so this path must stream with bounded memory.
 *
 * Follows the reference decoder of the LZMA SDK specification (LzmaSpec): a range coder,
 * a sliding dictionary (a ring buffer of at most `dictSize` bytes) and the literal / match /
 * rep-match state machine.
 */
import { Transform, TransformCallback } from 'node:stream';

const NUM_STATES = 12;
const POS_BITS_MAX = 4;
const END_POS_MODEL_INDEX = 14;
const NUM_FULL_DISTANCES = 1 << (END_POS_MODEL_INDEX >>> 1);
const NUM_ALIGN_BITS = 4;
const MATCH_MIN_LEN = 2;
const NUM_LEN_TO_POS_STATES = 4;
const NUM_POS_SLOT_BITS = 6;
const K_TOP = 1 << 24;
const PROB_INIT = 1024;
/** A single symbol never consumes more than this many input bytes; keep that much ahead. */
const INPUT_MARGIN = 64;

export class LzmaDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LzmaDataError';
  }
}

export interface LzmaProperties {
  lc: number;
  lp: number;
  pb: number;
  dictSize: number;
}

/** Parses the 5-byte LZMA properties block (lc/lp/pb byte + little-endian dictionary size). */
export function parseLzmaProperties(props: Uint8Array): LzmaProperties {
  if (props.length < 5) throw new LzmaDataError('LZMA properties are shorter than 5 bytes');
  let d = props[0];
  if (d >= 9 * 5 * 5) throw new LzmaDataError('invalid LZMA lc/lp/pb properties byte');
  const lc = d % 9;
  d = Math.floor(d / 9);
  const lp = d % 5;
  const pb = Math.floor(d / 5);
  const dictSize = (props[1] | (props[2] << 8) | (props[3] << 16)) + props[4] * 0x1000000;
  return { lc, lp, pb, dictSize };
}

function probs(n: number): Uint16Array {
  return new Uint16Array(n).fill(PROB_INIT);
}

class LenDecoder {
  /** [choice, choice2] */
  choice = probs(2);
  low = probs(16 << 3);
  mid = probs(16 << 3);
  high = probs(256);
}

/**
 * The decoding core. `push` appends compressed input, `run` decodes as far as the input
 * allows and returns the produced bytes. Knows nothing of streams.
 */
export class LzmaDecoderCore {
  private readonly lc: number;
  private readonly lp: number;
  private readonly pb: number;
  private readonly dict: Uint8Array;
  private dictPos = 0;
  private dictFull = false;
  private totalOut = 0;

  private input: Uint8Array = new Uint8Array(0);
  private inPos = 0;
  private range = 0xffffffff;
  private code = 0;
  private rcInitialized = false;

  private readonly literalProbs: Uint16Array;
  private readonly posSlot: Uint16Array[] = [];
  private readonly posDecoders = probs(1 + NUM_FULL_DISTANCES - END_POS_MODEL_INDEX);
  private readonly align = probs(1 << NUM_ALIGN_BITS);
  private readonly isMatch = probs(NUM_STATES << POS_BITS_MAX);
  private readonly isRep = probs(NUM_STATES);
  private readonly isRepG0 = probs(NUM_STATES);
  private readonly isRepG1 = probs(NUM_STATES);
  private readonly isRepG2 = probs(NUM_STATES);
  private readonly isRep0Long = probs(NUM_STATES << POS_BITS_MAX);
  private readonly lenDecoder = new LenDecoder();
  private readonly repLenDecoder = new LenDecoder();

  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;
  private finished = false;

  /**
   * @param unpackSize expected output size, or undefined when the stream ends with an end marker
   */
  constructor(
    props: LzmaProperties,
    private readonly unpackSize: number | undefined,
    maxDictSize: number,
  ) {
    this.lc = props.lc;
    this.lp = props.lp;
    this.pb = props.pb;
    if (props.dictSize > maxDictSize) {
      throw new LzmaDataError(`LZMA dictionary size ${props.dictSize} exceeds the limit ${maxDictSize}`);
    }
    // The dictionary never needs to be larger than the whole output.
    let size = Math.max(props.dictSize, 4096);
    if (unpackSize !== undefined) size = Math.max(1, Math.min(size, unpackSize));
    this.dict = new Uint8Array(size);
    this.literalProbs = probs(0x300 << (this.lc + this.lp));
    for (let i = 0; i < NUM_LEN_TO_POS_STATES; i++) this.posSlot.push(probs(1 << NUM_POS_SLOT_BITS));
  }

  get done(): boolean {
    return this.finished;
  }

  push(chunk: Uint8Array): void {
    const rest = this.input.length - this.inPos;
    const merged = new Uint8Array(rest + chunk.length);
    merged.set(this.input.subarray(this.inPos), 0);
    merged.set(chunk, rest);
    this.input = merged;
    this.inPos = 0;
  }

  /** Decodes what the buffered input allows; with `final`, all of it. Returns output bytes. */
  run(final: boolean): Uint8Array {
    const out: number[] = [];
    const outChunks: Uint8Array[] = [];
    const flush = () => {
      if (out.length) {
        outChunks.push(Uint8Array.from(out));
        out.length = 0;
      }
    };
    if (!this.rcInitialized) {
      if (this.input.length - this.inPos < 5) {
        if (final) throw new LzmaDataError('LZMA stream is truncated');
        return new Uint8Array(0);
      }
      if (this.input[this.inPos] !== 0) throw new LzmaDataError('corrupted LZMA stream (bad range coder start)');
      this.inPos++;
      for (let i = 0; i < 4; i++) this.code = ((this.code << 8) | this.input[this.inPos++]) >>> 0;
      if (this.code === this.range) throw new LzmaDataError('corrupted LZMA stream');
      this.rcInitialized = true;
    }
    while (!this.finished) {
      if (!final && this.input.length - this.inPos < INPUT_MARGIN) break;
      if (this.unpackSize !== undefined && this.totalOut >= this.unpackSize) {
        // Known size reached; an end marker may still follow, which we accept but do not require.
        this.finished = true;
        break;
      }
      this.decodeSymbol(out);
      if (out.length >= 65536) flush();
      if (final && this.inPos > this.input.length + 4) throw new LzmaDataError('LZMA stream is truncated');
    }
    flush();
    if (final && !this.finished) throw new LzmaDataError('LZMA stream ended without an end marker');
    if (outChunks.length === 1) return outChunks[0];
    const total = outChunks.reduce((n, c) => n + c.length, 0);
    const result = new Uint8Array(total);
    let o = 0;
    for (const c of outChunks) {
      result.set(c, o);
      o += c.length;
    }
    return result;
  }

  private nextByte(): number {
    // Past the end of input we feed zeros; the truncation check in `run` reports it.
    return this.inPos < this.input.length ? this.input[this.inPos++] : (this.inPos++, 0);
  }

  private normalize(): void {
    if (this.range >>> 0 < K_TOP) {
      this.range = (this.range << 8) >>> 0;
      this.code = ((this.code << 8) | this.nextByte()) >>> 0;
    }
  }

  private bit(p: Uint16Array, i: number): number {
    const prob = p[i];
    const bound = (this.range >>> 11) * prob;
    let symbol: number;
    if (this.code < bound) {
      p[i] = prob + ((2048 - prob) >>> 5);
      this.range = bound >>> 0;
      symbol = 0;
    } else {
      p[i] = prob - (prob >>> 5);
      this.code = (this.code - bound) >>> 0;
      this.range = (this.range - bound) >>> 0;
      symbol = 1;
    }
    this.normalize();
    return symbol;
  }

  private directBits(numBits: number): number {
    let res = 0;
    for (; numBits > 0; numBits--) {
      this.range = this.range >>> 1;
      this.code = (this.code - this.range) >>> 0;
      const t = 0 - (this.code >>> 31);
      this.code = (this.code + (this.range & t)) >>> 0;
      if (this.code === this.range) throw new LzmaDataError('corrupted LZMA stream');
      this.normalize();
      res = ((res << 1) + (t + 1)) >>> 0;
    }
    return res;
  }

  private bitTree(p: Uint16Array, offset: number, numBits: number): number {
    let m = 1;
    for (let i = 0; i < numBits; i++) m = (m << 1) + this.bit(p, offset + m);
    return m - (1 << numBits);
  }

  private bitTreeReverse(p: Uint16Array, offset: number, numBits: number): number {
    let m = 1;
    let symbol = 0;
    for (let i = 0; i < numBits; i++) {
      const b = this.bit(p, offset + m);
      m = (m << 1) + b;
      symbol |= b << i;
    }
    return symbol;
  }

  private decodeLen(ld: LenDecoder, posState: number): number {
    if (this.bit(ld.choice, 0) === 0) return this.bitTree(ld.low, posState << 3, 3);
    if (this.bit(ld.choice, 1) === 0) return 8 + this.bitTree(ld.mid, posState << 3, 3);
    return 16 + this.bitTree(ld.high, 0, 8);
  }

  private getByte(dist: number): number {
    let i = this.dictPos - dist;
    if (i < 0) i += this.dict.length;
    return this.dict[i];
  }

  private putByte(b: number, out: number[]): void {
    this.dict[this.dictPos++] = b;
    if (this.dictPos === this.dict.length) {
      this.dictPos = 0;
      this.dictFull = true;
    }
    this.totalOut++;
    out.push(b);
  }

  private checkDistance(dist: number): boolean {
    return dist <= this.dictPos || this.dictFull;
  }

  private copyMatch(len: number, out: number[]): void {
    if (this.unpackSize !== undefined && len > this.unpackSize - this.totalOut) {
      throw new LzmaDataError('LZMA data is longer than the declared size');
    }
    const dist = this.rep0 + 1;
    for (; len > 0; len--) this.putByte(this.getByte(dist), out);
  }

  private decodeSymbol(out: number[]): void {
    const posState = this.totalOut & ((1 << this.pb) - 1);
    const state = this.state;
    if (this.bit(this.isMatch, (state << POS_BITS_MAX) + posState) === 0) {
      if (this.unpackSize !== undefined && this.totalOut >= this.unpackSize) {
        throw new LzmaDataError('LZMA data is longer than the declared size');
      }
      const prevByte = this.dictPos > 0 || this.dictFull ? this.getByte(1) : 0;
      const litState = ((this.totalOut & ((1 << this.lp) - 1)) << this.lc) + (prevByte >>> (8 - this.lc));
      const base = 0x300 * litState;
      let symbol = 1;
      if (state >= 7) {
        let matchByte = this.getByte(this.rep0 + 1);
        do {
          const matchBit = (matchByte >>> 7) & 1;
          matchByte <<= 1;
          const b = this.bit(this.literalProbs, base + ((1 + matchBit) << 8) + symbol);
          symbol = (symbol << 1) | b;
          if (matchBit !== b) break;
        } while (symbol < 0x100);
      }
      while (symbol < 0x100) symbol = (symbol << 1) | this.bit(this.literalProbs, base + symbol);
      this.putByte(symbol - 0x100, out);
      this.state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
      return;
    }
    let len: number;
    if (this.bit(this.isRep, state) !== 0) {
      if (this.totalOut === 0) throw new LzmaDataError('corrupted LZMA stream (rep match at start)');
      if (this.bit(this.isRepG0, state) === 0) {
        if (this.bit(this.isRep0Long, (state << POS_BITS_MAX) + posState) === 0) {
          this.state = state < 7 ? 9 : 11;
          this.putByte(this.getByte(this.rep0 + 1), out);
          return;
        }
      } else {
        let dist: number;
        if (this.bit(this.isRepG1, state) === 0) {
          dist = this.rep1;
        } else {
          if (this.bit(this.isRepG2, state) === 0) {
            dist = this.rep2;
          } else {
            dist = this.rep3;
            this.rep3 = this.rep2;
          }
          this.rep2 = this.rep1;
        }
        this.rep1 = this.rep0;
        this.rep0 = dist;
      }
      len = this.decodeLen(this.repLenDecoder, posState);
      this.state = state < 7 ? 8 : 11;
    } else {
      this.rep3 = this.rep2;
      this.rep2 = this.rep1;
      this.rep1 = this.rep0;
      len = this.decodeLen(this.lenDecoder, posState);
      this.state = state < 7 ? 7 : 10;
      this.rep0 = this.decodeDistance(len);
      if (this.rep0 === 0xffffffff) {
        // End marker.
        if (this.unpackSize !== undefined && this.totalOut !== this.unpackSize) {
          throw new LzmaDataError('LZMA end marker before the declared size was reached');
        }
        this.finished = true;
        return;
      }
      if (this.unpackSize !== undefined && this.totalOut >= this.unpackSize) {
        throw new LzmaDataError('LZMA data is longer than the declared size');
      }
      if (!this.checkDistance(this.rep0)) throw new LzmaDataError('corrupted LZMA stream (distance too far)');
    }
    this.copyMatch(len + MATCH_MIN_LEN, out);
  }

  private decodeDistance(len: number): number {
    let lenState = len;
    if (lenState > NUM_LEN_TO_POS_STATES - 1) lenState = NUM_LEN_TO_POS_STATES - 1;
    const posSlot = this.bitTree(this.posSlot[lenState], 0, NUM_POS_SLOT_BITS);
    if (posSlot < 4) return posSlot;
    const numDirectBits = (posSlot >>> 1) - 1;
    let dist = ((2 | (posSlot & 1)) << numDirectBits) >>> 0;
    if (posSlot < END_POS_MODEL_INDEX) {
      dist = (dist + this.bitTreeReverse(this.posDecoders, dist - posSlot, numDirectBits)) >>> 0;
    } else {
      dist = (dist + ((this.directBits(numDirectBits - NUM_ALIGN_BITS) << NUM_ALIGN_BITS) >>> 0)) >>> 0;
      dist = (dist + this.bitTreeReverse(this.align, 0, NUM_ALIGN_BITS)) >>> 0;
    }
    return dist;
  }
}

export interface ZipLzmaOptions {
  /** Uncompressed size from the ZIP directory. */
  uncompressedSize: number;
  /** General purpose flag bit 1: the stream ends with an end-of-stream marker. */
  hasEndMarker: boolean;
  /** Largest dictionary we agree to allocate. */
  maxDictSize: number;
}

/**
 * Transform stream: the raw bytes of a ZIP method-14 entry in, the uncompressed bytes out.
 * A ZIP LZMA entry starts with a 4-byte header (version major/minor, properties size = 5),
 * then the 5 properties bytes, then the LZMA stream.
 */
export class ZipLzmaDecompressStream extends Transform {
  private header = new Uint8Array(0);
  private core: LzmaDecoderCore | undefined;

  constructor(private readonly options: ZipLzmaOptions) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    try {
      let data: Uint8Array = chunk;
      if (!this.core) {
        const merged = new Uint8Array(this.header.length + data.length);
        merged.set(this.header, 0);
        merged.set(data, this.header.length);
        if (merged.length < 9) {
          this.header = merged;
          return callback();
        }
        const propsSize = merged[2] | (merged[3] << 8);
        if (propsSize !== 5) throw new LzmaDataError(`unsupported LZMA properties size ${propsSize}`);
        this.core = new LzmaDecoderCore(
          parseLzmaProperties(merged.subarray(4, 9)),
          this.options.hasEndMarker ? undefined : this.options.uncompressedSize,
          this.options.maxDictSize,
        );
        data = merged.subarray(9);
      }
      if (this.core.done) return callback();
      this.core.push(data);
      const out = this.core.run(false);
      if (out.length) this.push(out);
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      if (!this.core) throw new LzmaDataError('LZMA entry is shorter than its header');
      if (!this.core.done) {
        const out = this.core.run(true);
        if (out.length) this.push(out);
      }
      callback();
    } catch (err) {
      callback(err as Error);
    }
  }
}
