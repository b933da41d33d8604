/**
 * What records of the format refer to, and the closure of a set of records over those
 * references: a transaction refers to its account, statement file and categories; a statement
 * file to its account and file map; a file map to its account; an account to its default file
 * map; a category to its parent. Used wherever a subset of a user's records must stand on its
 * own: a selective import, a selective export, and the records a forced undo keeps.
 */
import { ENTITIES, ENTITY_KINDS, EntityKind, REFERENCE_KINDS } from './entities';

/** Ids by kind. */
export type References = Partial<Record<EntityKind, string[]>>;

/** Every field that refers to a kind: the referenced kinds' id fields and each kind's declared reference fields. */
const ALL_REFERENCES: Array<[string, EntityKind]> = [
  ...REFERENCE_KINDS.map((k): [string, EntityKind] => [ENTITIES[k].idField, k]),
  ...ENTITY_KINDS.flatMap((k) => Object.entries(ENTITIES[k].referenceFields)),
];
const REFERENCE_FIELDS = ALL_REFERENCES.filter(([f]) => !f.includes('[].'));
const REFERENCE_ARRAYS = ALL_REFERENCES.filter(([f]) => f.includes('[].')).map(([f, k]): [string, string, EntityKind] => [...(f.split('[].') as [string, string]), k]);

/** The ids a record refers to (a record's own id may appear: harmless for a closure). */
export function referencesOf(record: Record<string, unknown>): References {
  const out: Partial<Record<EntityKind, Set<string>>> = {};
  const add = (kind: EntityKind, v: unknown) => {
    if (typeof v === 'string' && v) (out[kind] ??= new Set()).add(v);
  };
  for (const [field, kind] of REFERENCE_FIELDS) add(kind, record[field]);
  for (const [array, field, kind] of REFERENCE_ARRAYS) {
    const items = record[array];
    if (Array.isArray(items)) for (const item of items as Array<Record<string, unknown> | null>) add(kind, item?.[field]);
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v]])) as References;
}

/** Adds references to a set of ids by kind; true when anything was new. */
export function addReferences(into: Map<EntityKind, Set<string>>, refs: References): boolean {
  let grew = false;
  for (const [kind, ids] of Object.entries(refs) as Array<[EntityKind, string[]]>) {
    const set = into.get(kind) ?? into.set(kind, new Set()).get(kind)!;
    for (const id of ids) if (!set.has(id)) {
      set.add(id);
      grew = true;
    }
  }
  return grew;
}

/**
 * The ids by kind, closed over what each (known) record refers to. `recordOf` gives a record of
 * a reference kind by id, or undefined when there is none (then nothing is added for it, and an
 * id with no record is dropped from the result).
 */
export function closeReferences(
  seed: Map<EntityKind, Set<string>>,
  recordOf: (kind: EntityKind, id: string) => Record<string, unknown> | undefined,
): Map<EntityKind, Set<string>> {
  const out = new Map<EntityKind, Set<string>>();
  let todo: Array<[EntityKind, string]> = [...seed].flatMap(([kind, ids]) => [...ids].map((id) => [kind, id] as [EntityKind, string]));
  while (todo.length) {
    const next: Array<[EntityKind, string]> = [];
    for (const [kind, id] of todo) {
      if (out.get(kind)?.has(id)) continue;
      const record = recordOf(kind, id);
      if (!record) continue;
      (out.get(kind) ?? out.set(kind, new Set()).get(kind)!).add(id);
      for (const [k, ids] of Object.entries(referencesOf(record)) as Array<[EntityKind, string[]]>) for (const ref of ids) if (!out.get(k)?.has(ref)) next.push([k, ref]);
    }
    todo = next;
  }
  for (const kind of ENTITY_KINDS) if (!out.has(kind)) out.set(kind, new Set());
  return out;
}
