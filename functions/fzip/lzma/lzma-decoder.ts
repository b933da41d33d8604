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
 *
 * Speed (docs/benchmarks.md): 70–90% of liblzma on the same entries. The range coder works
 * on int32 bit patterns (`(a * b) | 0`, `>>> 0` comparisons) so V8 never boxes it as doubles.
 * The product (< 2^21 × 2^11) is exact, so `| 0` gives Math.imul's result; Math.imul itself is
 * not inlined when the code runs in another realm's context (jest's vm): 50× slower there.
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
const PROB_INIT = 1024;
/** A single symbol never consumes more than this many input bytes; keep that much ahead. */
const INPUT_MARGIN = 64;
/** Output of one `run` call at most, so that a highly compressed entry streams instead of piling up. */
const RUN_OUTPUT_BYTES = 1024 * 1024;
/** Zero bytes kept after the buffered input: a truncated stream reads these, never past the array. */
const INPUT_PADDING = 128;

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

/** One length decoder in one array: two choice bits, then the low, mid and high trees. */
const LEN_CHOICE = 0;
const LEN_CHOICE2 = 1;
const LEN_LOW = 2;
const LEN_MID = LEN_LOW + (16 << 3);
const LEN_HIGH = LEN_MID + (16 << 3);
const LEN_PROBS = LEN_HIGH + 256;

/**
 * The decoding core. `push` appends compressed input, `run` decodes as far as the input
 * allows and returns the produced bytes. Knows nothing of streams.
 *
 * Speed: `run` keeps the range coder, the dictionary position and the match state in
 * local variables and decodes bits inline, because V8 keeps locals in registers while
 * object fields holding unsigned 32-bit values are boxed. Output is written once, into the
 * dictionary, and handed out as copies of the dictionary range decoded by this call.
 */
/**
 * The error for output past the declared size; when the decoder has already read into the zero
 * padding after the input, the stream was cut short and that is what to say.
 */
function pastDeclaredSize(inPos: number, inEnd: number): LzmaDataError {
  return new LzmaDataError(inPos > inEnd ? 'LZMA stream is truncated' : 'LZMA data is longer than the declared size');
}

export class LzmaDecoderCore {
  private readonly lc: number;
  private readonly lp: number;
  private readonly pb: number;
  private readonly dict: Uint8Array;
  private dictPos = 0;
  private dictFull = false;
  private totalOut = 0;

  /** Buffered input, followed by INPUT_PADDING zero bytes so that reads past its end are cheap. */
  private input: Uint8Array = new Uint8Array(INPUT_PADDING);
  private inEnd = 0;
  private inPos = 0;
  /** The range coder's range and code, as int32 bit patterns of unsigned values. */
  private range = -1;
  private code = 0;
  private rcInitialized = false;

  private readonly literalProbs: Uint16Array;
  /** Four trees of 64 probabilities, one per length state. */
  private readonly posSlot = probs(NUM_LEN_TO_POS_STATES << NUM_POS_SLOT_BITS);
  private readonly posDecoders = probs(1 + NUM_FULL_DISTANCES - END_POS_MODEL_INDEX);
  private readonly align = probs(1 << NUM_ALIGN_BITS);
  private readonly isMatch = probs(NUM_STATES << POS_BITS_MAX);
  private readonly isRep = probs(NUM_STATES);
  private readonly isRepG0 = probs(NUM_STATES);
  private readonly isRepG1 = probs(NUM_STATES);
  private readonly isRepG2 = probs(NUM_STATES);
  private readonly isRep0Long = probs(NUM_STATES << POS_BITS_MAX);
  private readonly lenDecoder = probs(LEN_PROBS);
  private readonly repLenDecoder = probs(LEN_PROBS);

  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;
  private finished = false;

  /**
   * @param unpackSize the output size (the ZIP directory's): never exceeded, whatever the stream says
   * @param endMarker the stream must end with an end marker, right at `unpackSize` (ZIP flag bit 1);
   *   otherwise it ends at `unpackSize`, a marker there being accepted but not required
   */
  constructor(
    props: LzmaProperties,
    private readonly unpackSize: number,
    private readonly endMarker: boolean,
    maxDictSize: number,
  ) {
    this.lc = props.lc;
    this.lp = props.lp;
    this.pb = props.pb;
    if (props.dictSize > maxDictSize) {
      throw new LzmaDataError(`LZMA dictionary size ${props.dictSize} exceeds the limit ${maxDictSize}`);
    }
    // The dictionary never needs to be larger than the whole output.
    this.dict = new Uint8Array(Math.max(1, Math.min(Math.max(props.dictSize, 4096), unpackSize)));
    this.literalProbs = probs(0x300 << (this.lc + this.lp));
  }

  get done(): boolean {
    return this.finished;
  }

  push(chunk: Uint8Array): void {
    const rest = this.inEnd - this.inPos;
    const merged = new Uint8Array(rest + chunk.length + INPUT_PADDING);
    merged.set(this.input.subarray(this.inPos, this.inEnd), 0);
    merged.set(chunk, rest);
    this.input = merged;
    this.inEnd = rest + chunk.length;
    this.inPos = 0;
  }

  /** Decodes what the buffered input allows; with `final`, all of it. Returns output bytes. */
  run(final: boolean): Uint8Array {
    if (!this.rcInitialized) {
      if (this.inEnd - this.inPos < 5) {
        if (final) throw new LzmaDataError('LZMA stream is truncated');
        return new Uint8Array(0);
      }
      if (this.input[this.inPos] !== 0) throw new LzmaDataError('corrupted LZMA stream (bad range coder start)');
      this.inPos++;
      for (let i = 0; i < 4; i++) this.code = (this.code << 8) | this.input[this.inPos++];
      if (this.code === this.range) throw new LzmaDataError('corrupted LZMA stream');
      this.rcInitialized = true;
    }
    if (this.finished) return new Uint8Array(0);

    const input = this.input;
    const inEnd = this.inEnd;
    // Without `final`, stop while a whole symbol's worth of input is still buffered.
    const inLimit = final ? inEnd + 4 : inEnd - INPUT_MARGIN;
    const dict = this.dict;
    const dictSize = dict.length;
    const unpackSize = this.unpackSize;
    const stopAtSize = !this.endMarker;
    const pbMask = (1 << this.pb) - 1;
    const lpMask = (1 << this.lp) - 1;
    const lc = this.lc;
    const literalShift = 8 - lc;
    const literal = this.literalProbs;
    const isMatch = this.isMatch;
    const isRep = this.isRep;
    const isRepG0 = this.isRepG0;
    const isRepG1 = this.isRepG1;
    const isRepG2 = this.isRepG2;
    const isRep0Long = this.isRep0Long;
    const posSlotProbs = this.posSlot;
    const posDecoders = this.posDecoders;
    const alignProbs = this.align;

    let inPos = this.inPos;
    let range = this.range | 0;
    let code = this.code | 0;
    let dictPos = this.dictPos;
    let dictFull = this.dictFull;
    let totalOut = this.totalOut;
    let state = this.state;
    let rep0 = this.rep0;
    let rep1 = this.rep1;
    let rep2 = this.rep2;
    let rep3 = this.rep3;
    let finished = false;

    const outChunks: Uint8Array[] = [];
    let flushFrom = dictPos;
    // Range coder scratch: the probability, the split point and the decoded bit.
    let prob: number;
    let bound: number;
    let bit: number;

    // One call yields at most RUN_OUTPUT_BYTES: the stream pushes it and waits for its reader.
    const outLimit = totalOut + RUN_OUTPUT_BYTES;
    let paused = false;

    while (inPos <= inLimit) {
      if (totalOut >= unpackSize && stopAtSize) {
        // Known size reached; an end marker may still follow, which we accept but do not require.
        finished = true;
        break;
      }
      if (totalOut >= outLimit) {
        paused = true;
        break;
      }
      const posState = totalOut & pbMask;

      // isMatch
      let pi = (state << POS_BITS_MAX) + posState;
      prob = isMatch[pi];
      bound = ((range >>> 11) * prob) | 0;
      if (code >>> 0 < bound >>> 0) {
        isMatch[pi] = prob + ((2048 - prob) >>> 5);
        range = bound;
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | input[inPos++];
        }
        // Literal.
        const prevByte = dictPos > 0 ? dict[dictPos - 1] : dictFull ? dict[dictSize - 1] : 0;
        const base = 0x300 * (((totalOut & lpMask) << lc) + (prevByte >>> literalShift));
        let symbol = 1;
        if (state >= 7) {
          let matchPos = dictPos - rep0 - 1;
          if (matchPos < 0) matchPos += dictSize;
          let matchByte = dict[matchPos];
          do {
            const matchBit = (matchByte >>> 7) & 1;
            matchByte <<= 1;
            pi = base + ((1 + matchBit) << 8) + symbol;
            prob = literal[pi];
            bound = ((range >>> 11) * prob) | 0;
            if (code >>> 0 < bound >>> 0) {
              literal[pi] = prob + ((2048 - prob) >>> 5);
              range = bound;
              bit = 0;
            } else {
              literal[pi] = prob - (prob >>> 5);
              code = (code - bound) | 0;
              range = (range - bound) | 0;
              bit = 1;
            }
            if (range >>> 24 === 0) {
              range <<= 8;
              code = (code << 8) | input[inPos++];
            }
            symbol = (symbol << 1) | bit;
            if (matchBit !== bit) break;
          } while (symbol < 0x100);
        }
        while (symbol < 0x100) {
          pi = base + symbol;
          prob = literal[pi];
          bound = ((range >>> 11) * prob) | 0;
          if (code >>> 0 < bound >>> 0) {
            literal[pi] = prob + ((2048 - prob) >>> 5);
            range = bound;
            symbol <<= 1;
          } else {
            literal[pi] = prob - (prob >>> 5);
            code = (code - bound) | 0;
            range = (range - bound) | 0;
            symbol = (symbol << 1) | 1;
          }
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | input[inPos++];
          }
        }
        if (totalOut >= unpackSize) throw pastDeclaredSize(inPos, inEnd);
        dict[dictPos++] = symbol;
        totalOut++;
        if (dictPos === dictSize) {
          outChunks.push(dict.slice(flushFrom, dictPos));
          dictPos = 0;
          flushFrom = 0;
          dictFull = true;
        }
        state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }
      isMatch[pi] = prob - (prob >>> 5);
      code = (code - bound) | 0;
      range = (range - bound) | 0;
      if (range >>> 24 === 0) {
        range <<= 8;
        code = (code << 8) | input[inPos++];
      }

      // isRep
      prob = isRep[state];
      bound = ((range >>> 11) * prob) | 0;
      let lenProbs: Uint16Array;
      let simpleMatch = false;
      if (code >>> 0 < bound >>> 0) {
        isRep[state] = prob + ((2048 - prob) >>> 5);
        range = bound;
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | input[inPos++];
        }
        // A simple match with a new distance.
        rep3 = rep2;
        rep2 = rep1;
        rep1 = rep0;
        lenProbs = this.lenDecoder;
        state = state < 7 ? 7 : 10;
        simpleMatch = true;
      } else {
        isRep[state] = prob - (prob >>> 5);
        code = (code - bound) | 0;
        range = (range - bound) | 0;
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | input[inPos++];
        }
        if (totalOut === 0) throw new LzmaDataError('corrupted LZMA stream (rep match at start)');
        // isRepG0
        prob = isRepG0[state];
        bound = ((range >>> 11) * prob) | 0;
        if (code >>> 0 < bound >>> 0) {
          isRepG0[state] = prob + ((2048 - prob) >>> 5);
          range = bound;
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | input[inPos++];
          }
          // isRep0Long
          pi = (state << POS_BITS_MAX) + posState;
          prob = isRep0Long[pi];
          bound = ((range >>> 11) * prob) | 0;
          if (code >>> 0 < bound >>> 0) {
            isRep0Long[pi] = prob + ((2048 - prob) >>> 5);
            range = bound;
            if (range >>> 24 === 0) {
              range <<= 8;
              code = (code << 8) | input[inPos++];
            }
            // A "short rep": one byte from distance rep0.
            state = state < 7 ? 9 : 11;
            let src = dictPos - rep0 - 1;
            if (src < 0) src += dictSize;
            if (totalOut >= unpackSize) throw pastDeclaredSize(inPos, inEnd);
            dict[dictPos++] = dict[src];
            totalOut++;
            if (dictPos === dictSize) {
              outChunks.push(dict.slice(flushFrom, dictPos));
              dictPos = 0;
              flushFrom = 0;
              dictFull = true;
            }
            continue;
          }
          isRep0Long[pi] = prob - (prob >>> 5);
          code = (code - bound) | 0;
          range = (range - bound) | 0;
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | input[inPos++];
          }
        } else {
          isRepG0[state] = prob - (prob >>> 5);
          code = (code - bound) | 0;
          range = (range - bound) | 0;
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | input[inPos++];
          }
          let dist: number;
          // isRepG1
          prob = isRepG1[state];
          bound = ((range >>> 11) * prob) | 0;
          if (code >>> 0 < bound >>> 0) {
            isRepG1[state] = prob + ((2048 - prob) >>> 5);
            range = bound;
            if (range >>> 24 === 0) {
              range <<= 8;
              code = (code << 8) | input[inPos++];
            }
            dist = rep1;
          } else {
            isRepG1[state] = prob - (prob >>> 5);
            code = (code - bound) | 0;
            range = (range - bound) | 0;
            if (range >>> 24 === 0) {
              range <<= 8;
              code = (code << 8) | input[inPos++];
            }
            // isRepG2
            prob = isRepG2[state];
            bound = ((range >>> 11) * prob) | 0;
            if (code >>> 0 < bound >>> 0) {
              isRepG2[state] = prob + ((2048 - prob) >>> 5);
              range = bound;
              if (range >>> 24 === 0) {
                range <<= 8;
                code = (code << 8) | input[inPos++];
              }
              dist = rep2;
            } else {
              isRepG2[state] = prob - (prob >>> 5);
              code = (code - bound) | 0;
              range = (range - bound) | 0;
              if (range >>> 24 === 0) {
                range <<= 8;
                code = (code << 8) | input[inPos++];
              }
              dist = rep3;
              rep3 = rep2;
            }
            rep2 = rep1;
          }
          rep1 = rep0;
          rep0 = dist;
        }
        lenProbs = this.repLenDecoder;
        state = state < 7 ? 8 : 11;
      }

      // Match length: a choice bit, maybe a second one, then a 3-, 3- or 8-bit tree.
      let treeOffset: number;
      let treeBits: number;
      let len: number;
      prob = lenProbs[LEN_CHOICE];
      bound = ((range >>> 11) * prob) | 0;
      if (code >>> 0 < bound >>> 0) {
        lenProbs[LEN_CHOICE] = prob + ((2048 - prob) >>> 5);
        range = bound;
        treeOffset = LEN_LOW + (posState << 3);
        treeBits = 3;
        len = 0;
      } else {
        lenProbs[LEN_CHOICE] = prob - (prob >>> 5);
        code = (code - bound) | 0;
        range = (range - bound) | 0;
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | input[inPos++];
        }
        prob = lenProbs[LEN_CHOICE2];
        bound = ((range >>> 11) * prob) | 0;
        if (code >>> 0 < bound >>> 0) {
          lenProbs[LEN_CHOICE2] = prob + ((2048 - prob) >>> 5);
          range = bound;
          treeOffset = LEN_MID + (posState << 3);
          treeBits = 3;
          len = 8;
        } else {
          lenProbs[LEN_CHOICE2] = prob - (prob >>> 5);
          code = (code - bound) | 0;
          range = (range - bound) | 0;
          treeOffset = LEN_HIGH;
          treeBits = 8;
          len = 16;
        }
      }
      if (range >>> 24 === 0) {
        range <<= 8;
        code = (code << 8) | input[inPos++];
      }
      let m = 1;
      for (let k = 0; k < treeBits; k++) {
        pi = treeOffset + m;
        prob = lenProbs[pi];
        bound = ((range >>> 11) * prob) | 0;
        if (code >>> 0 < bound >>> 0) {
          lenProbs[pi] = prob + ((2048 - prob) >>> 5);
          range = bound;
          m <<= 1;
        } else {
          lenProbs[pi] = prob - (prob >>> 5);
          code = (code - bound) | 0;
          range = (range - bound) | 0;
          m = (m << 1) | 1;
        }
        if (range >>> 24 === 0) {
          range <<= 8;
          code = (code << 8) | input[inPos++];
        }
      }
      len += m - (1 << treeBits);

      if (simpleMatch) {
        // The distance of a simple match: a 6-bit slot, then reverse-coded or direct bits.
        const slotOffset = (len < NUM_LEN_TO_POS_STATES - 1 ? len : NUM_LEN_TO_POS_STATES - 1) << NUM_POS_SLOT_BITS;
        m = 1;
        for (let k = 0; k < NUM_POS_SLOT_BITS; k++) {
          pi = slotOffset + m;
          prob = posSlotProbs[pi];
          bound = ((range >>> 11) * prob) | 0;
          if (code >>> 0 < bound >>> 0) {
            posSlotProbs[pi] = prob + ((2048 - prob) >>> 5);
            range = bound;
            m <<= 1;
          } else {
            posSlotProbs[pi] = prob - (prob >>> 5);
            code = (code - bound) | 0;
            range = (range - bound) | 0;
            m = (m << 1) | 1;
          }
          if (range >>> 24 === 0) {
            range <<= 8;
            code = (code << 8) | input[inPos++];
          }
        }
        const posSlot = m - (1 << NUM_POS_SLOT_BITS);
        let dist: number;
        if (posSlot < 4) {
          dist = posSlot;
        } else {
          const numDirectBits = (posSlot >>> 1) - 1;
          // int32 bit patterns: the end marker (0xFFFFFFFF) is -1, and every valid distance is
          // below the dictionary size (< 2^31), so anything negative is corrupt.
          dist = (2 | (posSlot & 1)) << numDirectBits;
          let reverseProbs: Uint16Array;
          let reverseOffset: number;
          let reverseBits: number;
          if (posSlot < END_POS_MODEL_INDEX) {
            reverseProbs = posDecoders;
            reverseOffset = dist - posSlot;
            reverseBits = numDirectBits;
          } else {
            let direct = 0;
            for (let k = numDirectBits - NUM_ALIGN_BITS; k > 0; k--) {
              range >>>= 1;
              if (code >>> 0 >= range) {
                code = (code - range) | 0;
                direct = (direct << 1) | 1;
              } else {
                direct <<= 1;
              }
              if (code === range) throw new LzmaDataError('corrupted LZMA stream');
              if (range >>> 24 === 0) {
                range <<= 8;
                code = (code << 8) | input[inPos++];
              }
            }
            dist = (dist + (direct << NUM_ALIGN_BITS)) | 0;
            reverseProbs = alignProbs;
            reverseOffset = 0;
            reverseBits = NUM_ALIGN_BITS;
          }
          m = 1;
          let reversed = 0;
          for (let k = 0; k < reverseBits; k++) {
            pi = reverseOffset + m;
            prob = reverseProbs[pi];
            bound = ((range >>> 11) * prob) | 0;
            if (code >>> 0 < bound >>> 0) {
              reverseProbs[pi] = prob + ((2048 - prob) >>> 5);
              range = bound;
              m <<= 1;
            } else {
              reverseProbs[pi] = prob - (prob >>> 5);
              code = (code - bound) | 0;
              range = (range - bound) | 0;
              m = (m << 1) | 1;
              reversed |= 1 << k;
            }
            if (range >>> 24 === 0) {
              range <<= 8;
              code = (code << 8) | input[inPos++];
            }
          }
          dist = (dist + reversed) | 0;
        }
        rep0 = dist;
        if (rep0 === -1) {
          // End marker.
          if (totalOut !== unpackSize) {
            throw new LzmaDataError('LZMA end marker before the declared size was reached');
          }
          finished = true;
          break;
        }
        if (totalOut >= unpackSize) throw pastDeclaredSize(inPos, inEnd);
        if (rep0 < 0 || rep0 >= dictSize || (!dictFull && rep0 >= dictPos)) {
          throw new LzmaDataError('corrupted LZMA stream (distance too far)');
        }
      }

      // Copy the match from the dictionary.
      len += MATCH_MIN_LEN;
      if (len > unpackSize - totalOut) throw pastDeclaredSize(inPos, inEnd);
      totalOut += len;
      let src = dictPos - rep0 - 1;
      if (src < 0) src += dictSize;
      if (dictPos + len < dictSize && src + len <= dictSize) {
        // Neither side wraps the ring. A byte-by-byte forward copy repeats overlapping
        // sources correctly; long copies that do not overlap go through copyWithin.
        if (len > 32 && rep0 + 1 >= len) {
          dict.copyWithin(dictPos, src, src + len);
          dictPos += len;
        } else {
          const end = dictPos + len;
          while (dictPos < end) dict[dictPos++] = dict[src++];
        }
      } else {
        for (; len > 0; len--) {
          dict[dictPos++] = dict[src++];
          if (src === dictSize) src = 0;
          if (dictPos === dictSize) {
            outChunks.push(dict.slice(flushFrom, dictPos));
            dictPos = 0;
            flushFrom = 0;
            dictFull = true;
          }
        }
      }
    }

    if (inPos > inEnd + 4) throw new LzmaDataError('LZMA stream is truncated');
    if (dictPos > flushFrom) outChunks.push(dict.slice(flushFrom, dictPos));

    this.inPos = inPos;
    this.range = range;
    this.code = code;
    this.dictPos = dictPos;
    this.dictFull = dictFull;
    this.totalOut = totalOut;
    this.state = state;
    this.rep0 = rep0;
    this.rep1 = rep1;
    this.rep2 = rep2;
    this.rep3 = rep3;
    this.finished = finished;

    if (final && !finished && !paused) {
      throw new LzmaDataError(this.endMarker ? 'LZMA stream ended without an end marker' : 'LZMA stream is truncated');
    }
    return concat(outChunks);
  }
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  const result = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    result.set(c, o);
    o += c.length;
  }
  return result;
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
  /** Set while output waits for the reader: continues decoding when it reads again. */
  private continueDecoding: (() => void) | undefined;

  constructor(private readonly options: ZipLzmaOptions) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, callback: TransformCallback): void {
    let decode: boolean;
    try {
      decode = this.accept(chunk);
    } catch (err) {
      return callback(err as Error);
    }
    if (!decode) return callback();
    this.pump(false, callback);
  }

  /** Takes a chunk of the entry (header first); false when there is nothing to decode yet. */
  private accept(chunk: Uint8Array): boolean {
    let data = chunk;
    if (!this.core) {
      const merged = new Uint8Array(this.header.length + data.length);
      merged.set(this.header, 0);
      merged.set(data, this.header.length);
      if (merged.length < 9) {
        this.header = merged;
        return false;
      }
      const propsSize = merged[2] | (merged[3] << 8);
      if (propsSize !== 5) throw new LzmaDataError(`unsupported LZMA properties size ${propsSize}`);
      this.core = new LzmaDecoderCore(
        parseLzmaProperties(merged.subarray(4, 9)),
        this.options.uncompressedSize,
        this.options.hasEndMarker,
        this.options.maxDictSize,
      );
      data = merged.subarray(9);
    }
    if (this.core.done) return false;
    this.core.push(data);
    return true;
  }

  override _flush(callback: TransformCallback): void {
    if (!this.core) return callback(new LzmaDataError('LZMA entry is shorter than its header'));
    this.pump(true, callback);
  }

  override _read(size: number): void {
    const next = this.continueDecoding;
    this.continueDecoding = undefined;
    next?.();
    // Transform's own _read releases a finished chunk's callback that it held back while its
    // buffer was full; unless decoding is waiting again, let it.
    if (!this.continueDecoding) super._read(size);
  }

  /**
   * Decodes what the input allows, a bounded piece at a time, and pushes it; when the reader's
   * buffer is full it stops until the reader reads (backpressure), so memory stays bounded
   * however much one chunk of input expands.
   */
  private pump(final: boolean, callback: TransformCallback): void {
    const core = this.core as LzmaDecoderCore;
    for (;;) {
      let out: Uint8Array;
      try {
        out = core.run(final);
      } catch (err) {
        return callback(err as Error);
      }
      // outside the try: an error thrown by whoever the callback wakes is not ours to report
      if (out.length === 0) return callback();
      if (!this.push(out)) {
        this.continueDecoding = () => this.pump(final, callback);
        return;
      }
    }
  }
}
