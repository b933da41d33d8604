/**
 * Streaming splitter for large JSON documents: cuts a top-level array into its elements
 * (the text of each), so each can be `JSON.parse`d alone. Memory stays at one element,
 * and native JSON.parse does the heavy lifting (faster than a JS tokenizer).
 *
 * It also makes numbers lossless: JSON.parse turns 13218515797719547195 (a uint64
 * transactionHash) into 13218515797719548000 and "12.50" written as a number into 12.5.
 * So any number token that is not a safe integer (more than 15 digits, a fraction or an
 * exponent) is rewritten as a JSON string holding its exact source text before parsing.
 *
 * With `objectRoot`, the top level may instead be an object (the packageFormat "json"
 * document): each array-valued key yields its elements tagged with the key, and any other
 * value is yielded whole, tagged with its key.
 */

export type JsonScanErrorCode = 'INVALID_JSON' | 'INVALID_DATA_FILE' | 'RECORD_TOO_LARGE' | 'RECORD_TOO_DEEP' | 'DUPLICATE_KEY';

export class JsonScanError extends Error {
  constructor(
    readonly code: JsonScanErrorCode,
    message: string,
    readonly index?: number,
    readonly key?: string,
  ) {
    super(message);
    this.name = 'JsonScanError';
  }
}

export interface JsonElement {
  /** Top-level key (object root only). */
  key?: string;
  /** True when the element is a whole non-array value of an object-root key. */
  whole?: boolean;
  /** Position in its array (0-based). */
  index: number;
  /** JSON text of the element, with unsafe numbers turned into strings. */
  text: string;
  /** Keys in the element's objects (colons outside strings): more than the parsed value holds means a repeated key. */
  keys: number;
}

export interface SplitterOptions {
  maxElementChars: number;
  maxDepth: number;
  objectRoot?: boolean;
  /** Whitespace allowed in one run between elements (default 1 MiB): no document needs more. */
  maxGapChars?: number;
}

const DEFAULT_MAX_GAP_CHARS = 1 << 20;

const enum Mode {
  RootStart,
  ArrayValueOrEnd,
  ArrayValue,
  ArrayAfterValue,
  ObjectKeyOrEnd,
  ObjectKey,
  ObjectColon,
  ObjectValue,
  ObjectAfterValue,
  Done,
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const LBRACKET = 91;
const RBRACKET = 93;
const LBRACE = 123;
const RBRACE = 125;
const MINUS = 45;
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}
function isNumberChar(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === MINUS;
}

export class JsonElementSplitter {
  private buf = '';
  private pos = 0;
  private mode = Mode.RootStart;
  private inObjectRoot = false;
  private key: string | undefined;
  private index = 0;
  // the element being scanned
  private elStart = -1;
  private depth = 0;
  private inString = false;
  private fixes: number[] = [];
  private whole = false;
  private colons = 0;
  /** The object root's keys so far: one twice would mean two different documents. */
  private readonly rootKeys = new Set<string>();
  /** Whitespace seen since the last element or token outside elements. */
  private gap = 0;

  constructor(private readonly opts: SplitterOptions) {}

  /** Feeds text; returns the elements completed by it. */
  write(text: string): JsonElement[] {
    this.buf = this.compact() + text;
    const out: JsonElement[] = [];
    this.scan(false, out);
    return out;
  }

  /** Ends the input; throws when the document is incomplete. */
  end(): JsonElement[] {
    const out: JsonElement[] = [];
    this.scan(true, out);
    if (this.mode !== Mode.Done) {
      throw new JsonScanError(
        this.mode === Mode.RootStart ? 'INVALID_DATA_FILE' : 'INVALID_JSON',
        this.mode === Mode.RootStart ? 'is empty (expected a JSON array)' : 'ends before the JSON document is complete',
        this.elStart >= 0 ? this.index : undefined,
        this.key,
      );
    }
    return out;
  }

  private compact(): string {
    const from = this.elStart >= 0 ? this.elStart : this.pos;
    if (this.elStart >= 0) this.elStart = 0;
    this.pos -= from;
    return this.buf.slice(from);
  }

  private fail(code: JsonScanErrorCode, message: string): never {
    throw new JsonScanError(code, message, this.elStart >= 0 || code !== 'INVALID_DATA_FILE' ? this.index : undefined, this.key);
  }

  private unexpected(c: number, expected: string): never {
    this.fail('INVALID_JSON', `has ${JSON.stringify(String.fromCharCode(c))} where ${expected} was expected`);
  }

  private scan(final: boolean, out: JsonElement[]): void {
    const buf = this.buf;
    const n = buf.length;
    while (this.pos < n || (final && this.elStart >= 0)) {
      if (this.elStart >= 0) {
        if (!this.scanElement(final, out)) return;
        continue;
      }
      const c = buf.charCodeAt(this.pos);
      if (isWs(c)) {
        this.pos++;
        // Whitespace costs nothing to write and a scan to read: a gzip of gigabytes of it is tiny.
        if (++this.gap > (this.opts.maxGapChars ?? DEFAULT_MAX_GAP_CHARS)) {
          this.fail('INVALID_DATA_FILE', `has more than ${this.opts.maxGapChars ?? DEFAULT_MAX_GAP_CHARS} characters of whitespace in a row between records`);
        }
        continue;
      }
      this.gap = 0;
      switch (this.mode) {
        case Mode.RootStart:
          if (c === LBRACKET) {
            this.mode = Mode.ArrayValueOrEnd;
          } else if (c === LBRACE && this.opts.objectRoot) {
            this.inObjectRoot = true;
            this.mode = Mode.ObjectKeyOrEnd;
          } else if (c === 0xfeff) {
            this.fail('INVALID_DATA_FILE', 'starts with a byte order mark');
          } else {
            this.fail('INVALID_DATA_FILE', this.opts.objectRoot ? 'must be a JSON object' : 'must be a JSON array');
          }
          this.pos++;
          break;
        case Mode.ArrayValueOrEnd:
          if (c === RBRACKET) {
            this.closeArray();
            break;
          }
          this.startElement(false);
          break;
        case Mode.ArrayValue:
          if (c === RBRACKET) this.unexpected(c, 'a value after ","');
          this.startElement(false);
          break;
        case Mode.ArrayAfterValue:
          if (c === COMMA) this.mode = Mode.ArrayValue;
          else if (c === RBRACKET) {
            this.closeArray();
            break;
          } else this.unexpected(c, '"," or "]"');
          this.pos++;
          break;
        case Mode.ObjectKeyOrEnd:
        case Mode.ObjectKey: {
          if (c === RBRACE && this.mode === Mode.ObjectKeyOrEnd) {
            this.mode = Mode.Done;
            this.pos++;
            break;
          }
          if (c !== QUOTE) this.unexpected(c, 'a key');
          const endQuote = this.findStringEnd(this.pos + 1);
          if (endQuote < 0) {
            if (final) this.fail('INVALID_JSON', 'ends inside a key');
            return;
          }
          try {
            this.key = JSON.parse(buf.slice(this.pos, endQuote + 1)) as string;
          } catch {
            this.fail('INVALID_JSON', 'has an invalid key');
          }
          if (this.rootKeys.has(this.key as string)) this.fail('DUPLICATE_KEY', `has the key ${JSON.stringify(this.key)} twice at its top level`);
          this.rootKeys.add(this.key as string);
          this.index = 0;
          this.pos = endQuote + 1;
          this.mode = Mode.ObjectColon;
          break;
        }
        case Mode.ObjectColon:
          if (c !== COLON) this.unexpected(c, '":"');
          this.pos++;
          this.mode = Mode.ObjectValue;
          break;
        case Mode.ObjectValue:
          if (c === LBRACKET) {
            this.pos++;
            this.mode = Mode.ArrayValueOrEnd;
          } else {
            this.startElement(true);
          }
          break;
        case Mode.ObjectAfterValue:
          if (c === COMMA) this.mode = Mode.ObjectKey;
          else if (c === RBRACE) this.mode = Mode.Done;
          else this.unexpected(c, '"," or "}"');
          this.pos++;
          break;
        case Mode.Done:
          this.fail('INVALID_JSON', 'has data after the end of the JSON document');
      }
    }
  }

  private closeArray(): void {
    this.pos++;
    this.mode = this.inObjectRoot ? Mode.ObjectAfterValue : Mode.Done;
  }

  private startElement(whole: boolean): void {
    this.elStart = this.pos;
    this.depth = 0;
    this.inString = false;
    this.fixes = [];
    this.whole = whole;
    this.colons = 0;
  }

  /** Index of the closing quote of a string whose content starts at `from`, or -1. */
  private findStringEnd(from: number): number {
    const buf = this.buf;
    let i = from;
    for (;;) {
      const q = buf.indexOf('"', i);
      if (q < 0) return -1;
      let bs = 0;
      for (let k = q - 1; k >= from && buf.charCodeAt(k) === BACKSLASH; k--) bs++;
      if ((bs & 1) === 0) return q;
      i = q + 1;
    }
  }

  /** Scans the current element; returns false when more input is needed. */
  private scanElement(final: boolean, out: JsonElement[]): boolean {
    const buf = this.buf;
    const n = buf.length;
    const max = this.opts.maxElementChars;
    let pos = this.pos;
    let complete = -1;
    while (complete < 0) {
      if (pos - this.elStart > max) {
        this.fail('RECORD_TOO_LARGE', `has a record larger than ${max} characters`);
      }
      if (this.inString) {
        const q = this.findStringEnd(pos);
        if (q < 0) {
          // Resume at the start of a trailing run of backslashes: the next chunk's first quote may
          // be escaped by them, and findStringEnd counts backslashes only from where it starts.
          let k = n;
          while (k > pos && buf.charCodeAt(k - 1) === BACKSLASH) k--;
          pos = k;
          break;
        }
        pos = q + 1;
        this.inString = false;
        if (this.depth === 0) complete = pos;
        continue;
      }
      if (pos >= n) break;
      const c = buf.charCodeAt(pos);
      if (c === QUOTE) {
        this.inString = true;
        pos++;
      } else if (c === LBRACE || c === LBRACKET) {
        if (++this.depth > this.opts.maxDepth) {
          this.fail('RECORD_TOO_DEEP', `has a record nested deeper than ${this.opts.maxDepth} levels`);
        }
        pos++;
      } else if (c === RBRACE || c === RBRACKET) {
        if (this.depth === 0) {
          // A bare value ended by the enclosing array or object.
          complete = pos;
          break;
        }
        pos++;
        if (--this.depth === 0) complete = pos;
      } else if ((c >= 48 && c <= 57) || c === MINUS) {
        let j = pos;
        let digits = 0;
        let plain = true;
        while (j < n) {
          const d = buf.charCodeAt(j);
          if (!isNumberChar(d)) break;
          if (d >= 48 && d <= 57) digits++;
          else if (d !== MINUS || j !== pos) plain = false;
          j++;
        }
        if (j >= n && !final) break; // the token may continue in the next chunk
        // "-0" parses to a zero that prints without its sign: kept as text like the others.
        const negativeZero = j === pos + 2 && buf.charCodeAt(pos) === MINUS && buf.charCodeAt(pos + 1) === 48;
        // Only well-formed numbers are quoted; a malformed one is left for JSON.parse to reject.
        if ((!plain || digits > 15 || negativeZero) && JSON_NUMBER.test(buf.slice(pos, j))) {
          this.fixes.push(pos - this.elStart, j - this.elStart);
        }
        pos = j;
        if (this.depth === 0) complete = pos;
      } else if (this.depth === 0 && (c === COMMA || isWs(c))) {
        complete = pos;
      } else {
        if (c === COLON) this.colons++;
        pos++;
      }
    }
    if (complete < 0) {
      this.pos = pos;
      if (final) {
        if (this.depth === 0 && !this.inString && pos > this.elStart) {
          complete = pos; // bare value at end of input
        } else {
          this.fail('INVALID_JSON', 'ends inside a record');
        }
      } else {
        // Too large already, whatever follows: fail now, not after holding and rescanning the rest.
        if (n - this.elStart > max) this.fail('RECORD_TOO_LARGE', `has a record larger than ${max} characters`);
        return false;
      }
    }
    out.push({ key: this.key, whole: this.whole || undefined, index: this.index, text: this.elementText(complete), keys: this.colons });
    this.index++;
    this.pos = complete;
    this.elStart = -1;
    this.mode = this.whole ? Mode.ObjectAfterValue : Mode.ArrayAfterValue;
    return true;
  }

  private elementText(end: number): string {
    const start = this.elStart;
    if (this.fixes.length === 0) return this.buf.slice(start, end);
    let text = '';
    let at = start;
    for (let i = 0; i < this.fixes.length; i += 2) {
      const a = start + this.fixes[i];
      const b = start + this.fixes[i + 1];
      text += this.buf.slice(at, a) + '"' + this.buf.slice(a, b) + '"';
      at = b;
    }
    return text + this.buf.slice(at, end);
  }
}
