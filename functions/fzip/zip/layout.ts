/** Which entry names an FZIP package may hold, and what each one is. */
import { DERIVED_DATA, DerivedData, entityByFileBase, EntityKind } from '../entities';

export type EntryRole =
  | { role: 'manifest' }
  | { role: 'data'; kind: EntityKind; gzip: boolean }
  | { role: 'derivedData'; name: DerivedData; gzip: boolean }
  | { role: 'ignoredData'; base: string }
  | { role: 'file'; fileId: string; fileName: string }
  | { role: 'directory' };

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const DATA_RE = /^data\/([a-z][a-z0-9_]{0,63})\.json(\.gz)?$/;
const FILE_RE = new RegExp(`^files/(${UUID})/([^/\\\\\\u0000-\\u001f\\u007f]{1,800})$`); // as long as a record's fileName may be
const DIR_RE = new RegExp(`^(data|files|files/${UUID})/$`);
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** The role of an entry name, or undefined when the name does not belong in a package. */
export function classifyEntryName(name: string): EntryRole | undefined {
  if (name === 'manifest.json') return { role: 'manifest' };
  const d = DATA_RE.exec(name);
  if (d) {
    const info = entityByFileBase(d[1]);
    if (info) return { role: 'data', kind: info.kind, gzip: d[2] !== undefined };
    const derived = (Object.keys(DERIVED_DATA) as DerivedData[]).find((k) => DERIVED_DATA[k].fileBase === d[1]);
    return derived ? { role: 'derivedData', name: derived, gzip: d[2] !== undefined } : { role: 'ignoredData', base: d[1] };
  }
  const f = FILE_RE.exec(name);
  if (f && f[2] !== '.' && f[2] !== '..') return { role: 'file', fileId: f[1], fileName: f[2] };
  if (DIR_RE.test(name)) return { role: 'directory' };
  return undefined;
}

export function dataEntryName(fileBase: string, gzip: boolean): string {
  return `data/${fileBase}.json${gzip ? '.gz' : ''}`;
}

export function fileEntryName(fileId: string, fileName: string): string {
  return `files/${fileId}/${fileName}`;
}
