/**
 * Duplicate keys in a JSON object ({"amount": "1", "amount": "2"}): JSON.parse keeps the last,
 * while a reviewer or another tool may read the first, so a package holding them means two
 * different things. The splitter counts the keys of each record as it scans (a colon outside
 * strings is one key); when JSON.parse's value has fewer, a key was repeated, and only then is
 * the record scanned again here to name it. Fast path: one counter and one tree walk a record.
 */

/** How many keys the objects of a parsed value hold, nested ones included. */
export function countKeys(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const v of value) if (v !== null && typeof v === 'object') n += countKeys(v);
    return n;
  }
  for (const k in value) {
    n++;
    const v = (value as Record<string, unknown>)[k];
    if (v !== null && typeof v === 'object') n += countKeys(v);
  }
  return n;
}

function pointerPart(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

interface Frame {
  array: boolean;
  path: string;
  keys?: Set<string>;
  index: number;
  /** The key just read, waiting for its value. */
  key?: string;
}

/**
 * The first repeated key of a JSON text (which must be valid JSON): its JSON pointer (the
 * repeated field itself, e.g. /rules/0/value) and the key. Undefined when no key repeats.
 */
export function findDuplicateKey(text: string): { pointer: string; key: string } | undefined {
  const stack: Frame[] = [];
  const childPath = (f: Frame | undefined): string => (!f ? '' : f.array ? `${f.path}/${f.index}` : `${f.path}/${pointerPart(f.key ?? '')}`);
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      let k = j + 1;
      while (k < n && (text[k] === ' ' || text[k] === '\n' || text[k] === '\r' || text[k] === '\t')) k++;
      if (top && !top.array && text[k] === ':') {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys?.has(key)) return { pointer: `${top.path}/${pointerPart(key)}`, key };
        top.keys?.add(key);
        top.key = key;
      }
      i = j + 1;
    } else if (c === '{' || c === '[') {
      stack.push({ array: c === '[', path: childPath(stack[stack.length - 1]), keys: c === '{' ? new Set() : undefined, index: 0 });
      i++;
    } else if (c === '}' || c === ']') {
      stack.pop();
      i++;
    } else if (c === ',') {
      const top = stack[stack.length - 1];
      if (top?.array) top.index++;
      i++;
    } else {
      i++;
    }
  }
  return undefined;
}
