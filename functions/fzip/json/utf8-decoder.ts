/**
 * Strict streaming UTF-8 decoding, like `new TextDecoder('utf-8', { fatal: true })` with its
 * default BOM handling (a leading BOM is dropped), but several times faster on large data:
 * each chunk is checked with `buffer.isUtf8` (simdutf) and decoded with `Buffer#toString`.
 * A character split across chunks is carried over to the next one.
 */
import { isUtf8 } from 'node:buffer';

export class Utf8DecodeError extends Error {
  constructor() {
    super('invalid UTF-8');
    this.name = 'Utf8DecodeError';
  }
}

/** Length of the sequence a lead byte starts (0 for a continuation or invalid byte). */
function sequenceLength(b: number): number {
  if (b < 0x80) return 1;
  if (b >= 0xc2 && b <= 0xdf) return 2;
  if (b >= 0xe0 && b <= 0xef) return 3;
  if (b >= 0xf0 && b <= 0xf4) return 4;
  return 0;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export class StrictUtf8Decoder {
  private carry: Buffer = Buffer.alloc(0);
  private started = false;

  /** Decodes a chunk; bytes of a character that continues in the next chunk are kept back. */
  write(chunk: Buffer): string {
    let buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    if (buf.length === 0) return '';
    if (!this.started) {
      if (buf.length < 3 && BOM.subarray(0, buf.length).equals(buf)) {
        this.carry = buf; // maybe the start of a BOM
        return '';
      }
      this.started = true;
      if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    const end = this.completeLength(buf);
    this.carry = Buffer.from(buf.subarray(end));
    const body = buf.subarray(0, end);
    if (!isUtf8(body)) throw new Utf8DecodeError();
    return body.toString('utf8');
  }

  /** Ends the input: throws when it stops inside a character. */
  end(): string {
    if (this.carry.length) {
      const rest = this.carry;
      this.carry = Buffer.alloc(0);
      if (!this.started && BOM.subarray(0, rest.length).equals(rest)) throw new Utf8DecodeError();
      if (!isUtf8(rest)) throw new Utf8DecodeError();
      return rest.toString('utf8');
    }
    return '';
  }

  /** How many leading bytes hold only whole characters (a trailing partial one is left out). */
  private completeLength(buf: Buffer): number {
    const n = buf.length;
    // Look back at most 3 bytes for the lead byte of the last character.
    for (let i = n - 1; i >= 0 && i >= n - 4; i--) {
      const b = buf[i];
      if ((b & 0xc0) === 0x80) continue; // continuation byte
      const len = sequenceLength(b);
      // An invalid lead byte or a complete sequence: decode everything (isUtf8 judges it).
      return len === 0 || i + len <= n ? n : i;
    }
    return n;
  }
}
