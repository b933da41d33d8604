/**
 * A set of UUIDs in typed arrays (16 bytes a slot, open addressing): a million transaction
 * ids cost ~32 MB instead of ~100 MB as JS strings, and duplicate checks stay O(1).
 * Accepts only canonical lower-case hyphenated UUIDs (schema-checked before).
 */
export class UuidSet {
  private slots: Uint32Array;
  private used: Uint8Array;
  private count = 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap <<= 1;
    this.slots = new Uint32Array(cap * 4);
    this.used = new Uint8Array(cap);
  }

  get size(): number {
    return this.count;
  }

  /** Adds the id; returns false when it was already there. */
  add(uuid: string): boolean {
    const w = words(uuid);
    if (this.find(w) >= 0) return false;
    if ((this.count + 1) * 10 > this.used.length * 6) this.grow();
    this.insert(w);
    this.count++;
    return true;
  }

  /** Adds the id given as its four words at `offset` (see uuidWords); returns false when it was already there. */
  addWords(src: Uint32Array, offset: number): boolean {
    scratch[0] = src[offset];
    scratch[1] = src[offset + 1];
    scratch[2] = src[offset + 2];
    scratch[3] = src[offset + 3];
    if (this.find(scratch) >= 0) return false;
    if ((this.count + 1) * 10 > this.used.length * 6) this.grow();
    this.insert(scratch);
    this.count++;
    return true;
  }

  has(uuid: string): boolean {
    return this.find(words(uuid)) >= 0;
  }

  private find(w: Uint32Array): number {
    const mask = this.used.length - 1;
    let i = hash(w) & mask;
    while (this.used[i]) {
      const o = i * 4;
      if (this.slots[o] === w[0] && this.slots[o + 1] === w[1] && this.slots[o + 2] === w[2] && this.slots[o + 3] === w[3]) {
        return i;
      }
      i = (i + 1) & mask;
    }
    return -1;
  }

  private insert(w: Uint32Array): void {
    const mask = this.used.length - 1;
    let i = hash(w) & mask;
    while (this.used[i]) i = (i + 1) & mask;
    this.used[i] = 1;
    this.slots.set(w, i * 4);
  }

  private grow(): void {
    const oldSlots = this.slots;
    const oldUsed = this.used;
    this.slots = new Uint32Array(oldSlots.length * 2);
    this.used = new Uint8Array(oldUsed.length * 2);
    for (let i = 0; i < oldUsed.length; i++) {
      if (oldUsed[i]) this.insert(oldSlots.subarray(i * 4, i * 4 + 4));
    }
  }
}

const scratch = new Uint32Array(4);
/** The 128 bits of a hyphenated UUID as four words, parsed without intermediate strings. */
function words(uuid: string): Uint32Array {
  if (uuid.length !== 36) throw new Error(`not a UUID: ${uuid}`);
  let w = 0;
  let n = 0;
  let k = 0;
  for (let i = 0; i < 36; i++) {
    const c = uuid.charCodeAt(i);
    if (c === 45) continue; // '-'
    const v = c <= 57 ? c - 48 : (c | 32) - 87;
    if (v < 0 || v > 15) throw new Error(`not a UUID: ${uuid}`);
    w = (w << 4) | v;
    if (++n === 8) {
      scratch[k++] = w >>> 0;
      w = 0;
      n = 0;
    }
  }
  if (k !== 4) throw new Error(`not a UUID: ${uuid}`);
  return scratch;
}

/** Writes a UUID's four words into `into` at `offset`: an id sent between threads as numbers. */
export function uuidWords(uuid: string, into: Uint32Array, offset: number): void {
  into.set(words(uuid), offset);
}

function hash(w: Uint32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < 4; i++) h = Math.imul(h ^ w[i], 0x01000193);
  return (h ^ (h >>> 15)) >>> 0;
}
