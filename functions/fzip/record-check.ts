/**
 * The checks of one record: JSON, repeated keys, text that is not Unicode, its schema, money
 * ranges, the business rules against what was read before it (duplicate ids, references), and
 * its size as a stored item. What every record must pass (RecordReader) is pure, and says what
 * it finds only to an IssueSink, so it runs on any thread (transactions: transaction-check.ts);
 * the rules of the reference kinds (RecordChecker) know the records read before through RuleState.
 */
import { EntityKind, ENTITIES } from './entities';
import { countKeys, findDuplicateKey } from './json/duplicate-keys';
import type { JsonElement } from './json/element-splitter';
import type { UuidSet } from './json/uuid-set';
import { ErrorCode, Issue, WarningCode, valueText } from './issues';
import { dynamoItemSize } from './item-size';
import { FzipLimits } from './limits';
import { moneyProblem } from './money';
import { MONEY_FIELDS, normalizeRecord, PlainRecord } from './normalize';
import { declaredFields, entityCheck } from './schema-validator';

/** Where a checker says what it finds. */
export interface IssueSink {
  error(issue: Issue<ErrorCode>): void;
  warn(issue: Issue<WarningCode>): void;
}

/** A sink that counts the errors said through it since its count was last set to 0 (a record's checks failed when any was). */
export interface CountingSink extends IssueSink {
  errors: number;
}

export function countingSink(sink: IssueSink): CountingSink {
  const out: CountingSink = {
    errors: 0,
    error: (issue) => {
      out.errors++;
      sink.error(issue);
    },
    warn: (issue) => sink.warn(issue),
  };
  return out;
}

/** What the rules know of the records read before (and record as they pass). */
export interface RuleState {
  readonly accountIds: Set<string>;
  readonly fileMapIds: Set<string>;
  readonly categoryParents: Map<string, string | undefined>;
  readonly categoryIndex: Map<string, number>;
  /** Statement file records by id: their bytes are checked once every entry is known. */
  readonly fileRecords: Map<string, { index: number; fileName: string; fileSize?: number }>;
  /** Ids of records that failed: what only refers to them is not reported again (one cause, one error). */
  readonly failedIds: Set<string>;
  readonly transactionIds: UuidSet;
  /** account.defaultFileMapId is checked once file maps are read. */
  readonly pendingDefaultMaps: Array<{ index: number; id: string; fileMapId: string }>;
}

/** The offending value of an issue, when the record has one at the field. */
export function withValue(record: unknown, field: string | undefined): { value?: string } {
  const value = valueText(record, field);
  return value === undefined ? {} : { value };
}

/** A statement file name's UTF-8 bytes at most: {userId ≤ 128}/{fileId}/{fileName} within S3's 1,024-byte keys. */
export const MAX_FILE_NAME_BYTES = 850;

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F][0-9a-fA-F]{2}/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** JSON pointer of the first key or string value holding an unpaired surrogate, or undefined. */
function loneSurrogateAt(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = loneSurrogateAt(value[i], `${path}/${i}`);
      if (at !== undefined) return at;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const here = `${path}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (LONE_SURROGATE.test(k)) return here;
    const at = loneSurrogateAt(v, here);
    if (at !== undefined) return at;
  }
  return undefined;
}

/** A record that passed the checks every record must pass before any rule. */
export interface ReadRecord {
  rec: PlainRecord;
  id: string | undefined;
  /** Its fields the format does not know (almost always none). */
  unknown: readonly string[];
}

const NONE: readonly string[] = Object.freeze([]);

/**
 * The checks every record passes before any rule: JSON, one meaning per key, Unicode text, its
 * schema; and, once the rules pass, its size as a stored item. Pure: what it finds goes to `out`,
 * and the ids of records that fail to `failedId`.
 */
export class RecordReader {
  private readonly check;
  private readonly known: ReadonlySet<string>;
  private readonly idField: string;
  private readonly itemBudget: number;
  private readonly sizeCheckFromLength: number;

  constructor(
    private readonly kind: EntityKind,
    private readonly file: string,
    private readonly limits: FzipLimits,
    private readonly out: IssueSink,
    private readonly failedId: (id: string) => void,
  ) {
    this.check = entityCheck(kind);
    this.known = declaredFields(kind);
    this.idField = ENTITIES[kind].idField;
    // DynamoDB counts at most about twice the JSON text (and JSON text is at most 3 bytes a
    // character): only records above this length can be too large as items, so only they are sized.
    this.itemBudget = limits.maxStoredItemBytes - limits.storedItemReserveBytes;
    this.sizeCheckFromLength = Math.floor((this.itemBudget - 3) / 6);
  }

  private failed(id: string | undefined, issue: Issue<ErrorCode>): undefined {
    if (id !== undefined) this.failedId(id);
    this.out.error(issue);
    return undefined;
  }

  read(el: JsonElement): ReadRecord | undefined {
    const { file, out } = this;
    const index = el.index;
    let value: unknown;
    try {
      value = JSON.parse(el.text);
    } catch (err) {
      out.error({ code: 'INVALID_JSON', message: `record is not valid JSON: ${(err as Error).message}`, file, index });
      return undefined;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      out.error({ code: 'INVALID_RECORD', message: 'record must be a JSON object', file, index });
      return undefined;
    }
    const rec = value as PlainRecord;
    const rawId = rec[this.idField];
    const id = typeof rawId === 'string' ? rawId : undefined;
    const withId = id !== undefined ? { id } : {};
    if (countKeys(rec) !== el.keys) {
      // JSON.parse kept the last of a repeated key: the record means two things
      const dup = findDuplicateKey(el.text);
      if (dup) {
        return this.failed(id, { code: 'DUPLICATE_KEY', message: `${dup.pointer.slice(1)} appears twice in the record (which one is meant cannot be known)`, file, index, ...withId, field: dup.pointer });
      }
    }
    // A \uD800-style escape can make a string that is not Unicode text (and cannot be stored
    // as UTF-8); raw bytes cannot (the UTF-8 decoder is strict), so only escapes are looked at.
    if (el.text.includes('\\u') && SURROGATE_ESCAPE.test(el.text)) {
      const at = loneSurrogateAt(rec, '');
      if (at !== undefined) {
        return this.failed(id, {
          code: 'INVALID_ENCODING',
          message: `${at ? at.slice(1) : 'record'} holds an unpaired surrogate escape (\\uD800-\\uDFFF alone): not a character`,
          file,
          index,
          ...withId,
          field: at,
        });
      }
    }
    const failure = this.check(rec);
    if (failure) {
      return this.failed(id, {
        code: 'SCHEMA_VIOLATION',
        message: `${failure.field ? failure.field.slice(1) : 'record'} ${failure.message}`,
        file,
        index,
        ...withId,
        field: failure.field,
        ...withValue(rec, failure.field),
      });
    }
    let unknown = NONE;
    for (const k in rec) {
      if (!this.known.has(k)) {
        if (unknown === NONE) unknown = [];
        (unknown as string[]).push(k);
      }
    }
    return { rec, id, unknown };
  }

  /** Whether the record, stored as an item, would be too large (said, and its id failed). */
  tooLarge(el: JsonElement, read: ReadRecord): boolean {
    const issue = this.sizeIssue(el, read);
    if (issue) this.failed(read.id, issue);
    return issue !== undefined;
  }

  /** Why the record, stored as an item, would be too large; undefined when it fits. */
  sizeIssue(el: JsonElement, { rec, id }: ReadRecord): Issue<ErrorCode> | undefined {
    if (el.text.length <= this.sizeCheckFromLength) return undefined;
    const size = dynamoItemSize(normalizeRecord(this.kind, rec));
    if (size <= this.itemBudget) return undefined;
    return {
      code: 'ITEM_TOO_LARGE',
      message: `stored, this record would be a ${size}-byte item; with the importer's keys and attributes it must stay under ${this.itemBudget} bytes (DynamoDB holds at most ${this.limits.maxStoredItemBytes} bytes an item)`,
      file: this.file,
      index: el.index,
      ...(id !== undefined ? { id } : {}),
    };
  }
}

/** A field the format does not know, said once per kind (at the first record that has it). */
export class UnknownFields {
  private readonly seen = new Set<string>();
  constructor(private readonly file: string) {}

  note(out: IssueSink, unknown: readonly string[], index: number, id: string | undefined): void {
    for (const k of unknown) {
      if (this.seen.has(k)) continue;
      this.seen.add(k);
      out.warn({ code: 'UNKNOWN_FIELD', message: `field ${k} is not part of the format; it is kept as it is`, file: this.file, index, id, field: `/${k}` });
    }
  }
}

/** Checks the records of one reference kind (all but transactions), one at a time, in the order read. */
export class RecordChecker {
  private readonly reader: RecordReader;
  private readonly unknownFields: UnknownFields;
  /** Counts the errors of the current record's rules (they failed when any was). */
  private readonly out: CountingSink;

  constructor(
    private readonly kind: Exclude<EntityKind, 'transactions'>,
    private readonly file: string,
    limits: FzipLimits,
    private readonly state: RuleState,
    sink: IssueSink,
  ) {
    this.out = countingSink(sink);
    this.reader = new RecordReader(kind, file, limits, this.out, (id) => state.failedIds.add(id));
    this.unknownFields = new UnknownFields(file);
  }

  /**
   * The record as read when it passes every check (normalizeRecord makes the one to import: only
   * a consumer needs it); undefined when it does not (its issues said).
   */
  record(el: JsonElement): PlainRecord | undefined {
    const read = this.reader.read(el);
    if (!read) return undefined;
    const { rec, id } = read;
    this.unknownFields.note(this.out, read.unknown, el.index, id);
    this.out.errors = 0;
    const where = { code: 'INVALID_RECORD' as const, message: '', file: this.file, index: el.index, id };
    moneyIssues(this.kind, rec, where, this.out);
    this.rules(rec, where);
    if (this.out.errors) {
      if (id !== undefined) this.state.failedIds.add(id);
      return undefined;
    }
    return this.reader.tooLarge(el, read) ? undefined : rec;
  }

  /** Per-record business checks, done as each record passes. */
  private rules(r: PlainRecord, where: Issue<ErrorCode>): void {
    const { state: v, out } = this;
    const ref = (field: string, target: string, known: boolean) => {
      // a reference to a record that failed is that record's problem, already reported
      if (!known && !v.failedIds.has(target.slice(target.lastIndexOf(' ') + 1))) {
        out.error({ ...where, code: 'UNKNOWN_REFERENCE', field, message: `${field.slice(1)} refers to ${target} that is not in the package` });
      }
    };
    const id = where.id as string;
    switch (this.kind) {
      case 'accounts':
        if (v.accountIds.has(id)) out.error({ ...where, code: 'DUPLICATE_ID', field: '/accountId', message: `account ${id} appears more than once` });
        v.accountIds.add(id);
        if (typeof r.defaultFileMapId === 'string') v.pendingDefaultMaps.push({ index: where.index as number, id, fileMapId: r.defaultFileMapId });
        break;
      case 'fileMaps':
        if (v.fileMapIds.has(id)) out.error({ ...where, code: 'DUPLICATE_ID', field: '/fileMapId', message: `file map ${id} appears more than once` });
        v.fileMapIds.add(id);
        if (typeof r.accountId === 'string') ref('/accountId', `account ${r.accountId}`, v.accountIds.has(r.accountId));
        break;
      case 'categories':
        if (v.categoryParents.has(id)) {
          out.error({ ...where, code: 'DUPLICATE_ID', field: '/categoryId', message: `category ${id} appears more than once` });
        } else {
          v.categoryParents.set(id, typeof r.parentCategoryId === 'string' ? r.parentCategoryId : undefined);
          v.categoryIndex.set(id, where.index as number);
        }
        break;
      case 'transactionFiles':
        if (typeof r.fileName === 'string' && Buffer.byteLength(r.fileName) > MAX_FILE_NAME_BYTES) {
          out.error({
            ...where,
            code: 'INVALID_VALUE',
            field: '/fileName',
            message: `fileName is ${Buffer.byteLength(r.fileName)} bytes in UTF-8; stored as {user}/{fileId}/{fileName} it must stay within ${MAX_FILE_NAME_BYTES} bytes (an S3 key holds 1,024)`,
          });
        }
        if (v.fileRecords.has(id)) {
          out.error({ ...where, code: 'DUPLICATE_ID', field: '/fileId', message: `transaction file ${id} appears more than once` });
        } else {
          v.fileRecords.set(id, {
            index: where.index as number,
            fileName: r.fileName as string,
            fileSize: typeof r.fileSize === 'number' ? r.fileSize : undefined,
          });
        }
        if (typeof r.accountId === 'string') ref('/accountId', `account ${r.accountId}`, v.accountIds.has(r.accountId));
        if (typeof r.fileMapId === 'string') ref('/fileMapId', `file map ${r.fileMapId}`, v.fileMapIds.has(r.fileMapId));
        if (r.dateRange && typeof r.dateRange === 'object') {
          const d = r.dateRange as { startDate?: number; endDate?: number };
          if (d.startDate !== undefined && d.endDate !== undefined && d.startDate > d.endDate) {
            out.error({ ...where, code: 'INVALID_VALUE', field: '/dateRange', message: 'dateRange.startDate is after dateRange.endDate' });
          }
        }
        break;
    }
  }
}

/** Every money field within the range we store (|x| < 10^15, at most 23 significant decimal places). */
export function moneyIssues(kind: EntityKind, r: PlainRecord, where: Issue<ErrorCode>, out: IssueSink): void {
  const bad = (field: string, value: unknown) => {
    const problem = moneyProblem(value);
    if (problem) out.error({ ...where, code: 'INVALID_VALUE', field, message: `${field.slice(1).replace(/\//g, '.')} ${problem}`, ...withValue(r, field) });
  };
  for (const f of MONEY_FIELDS[kind]) if (r[f] !== undefined) bad(`/${f}`, r[f]);
  if (kind === 'categories' && Array.isArray(r.rules)) {
    (r.rules as PlainRecord[]).forEach((rule, i) => {
      if (rule && typeof rule === 'object') {
        if (rule.amountMin !== undefined) bad(`/rules/${i}/amountMin`, rule.amountMin);
        if (rule.amountMax !== undefined) bad(`/rules/${i}/amountMax`, rule.amountMax);
      }
    });
  }
}
