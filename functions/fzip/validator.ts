/**
 * Validates a package end to end and returns a report: container checks, manifest, every
 * record against its schema, and the business rules across records (duplicate ids,
 * references, category cycles, statement file bytes, checksums, declared counts).
 *
 * Streams: small entities are kept as id sets, transactions only as a compact UUID set.
 * `onRecord` receives each valid, normalized record as it passes (the import workflow
 * stages them); it is never called for a record that failed.
 */
import { DERIVED_DATA, DerivedData, ENTITIES, EntityKind, FILE_KIND, READ_ORDER, zeroCounts } from './entities';
import { countKeys, findDuplicateKey } from './json/duplicate-keys';
import { ErrorCode, FzipFatalError, Issue, IssueList, WarningCode, valueText } from './issues';
import { FzipLimits, resolveLimits } from './limits';
import { declaredFields, derivedCheck, entityCheck, manifestCheck } from './schema-validator';
import { MONEY_FIELDS, normalizeRecord, PlainRecord } from './normalize';
import { moneyProblem } from './money';
import { dynamoItemSize } from './item-size';
import { openPackage, PackageFormat, PackageReader, sniffFormat } from './package-reader';
import { RangeSource } from './source';
import { UuidSet } from './json/uuid-set';
import { fileEntryName } from './zip/layout';
import type { FzipManifest } from './types.generated';

export type EntityCounts = Record<EntityKind, number>;

export interface ManifestSummary {
  formatVersion: string;
  exportedAt?: string;
  sourceUserId?: string;
  housef3Version?: string;
  declaredCounts?: Partial<EntityCounts>;
  /** complete, or selective with the selection its transactions were taken by (schema-checked). */
  backupType?: string;
  selection?: Record<string, unknown>;
}

export interface ValidationReport {
  valid: boolean;
  packageFormat: PackageFormat | 'unknown';
  packageName: string;
  packageBytes: number;
  manifest?: ManifestSummary;
  counts: EntityCounts & { statementFiles: number };
  /** Records of each derived data file the package holds (analytics): checked, not imported. */
  derived?: Partial<Record<DerivedData, number>>;
  errorCount: number;
  errors: Issue<ErrorCode>[];
  warningCount: number;
  warnings: Issue<WarningCode>[];
}

export interface ValidateOptions {
  limits?: Partial<FzipLimits>;
  /** Expected format; sniffed from the bytes when absent. */
  packageFormat?: PackageFormat;
  /** Reads every statement file to verify its bytes (default true). */
  verifyStatementFiles?: boolean;
  onRecord?: (kind: EntityKind, record: PlainRecord, index: number) => void | Promise<void>;
}

const emptyCounts = (): EntityCounts => zeroCounts();

class Validation {
  readonly errors: IssueList<ErrorCode>;
  readonly warnings: IssueList<WarningCode>;
  readonly counts = emptyCounts();
  statementFiles = 0;
  readonly derived: Partial<Record<DerivedData, number>> = {};
  manifest?: ManifestSummary;

  // what later records may refer to
  readonly accountIds = new Set<string>();
  readonly fileMapIds = new Set<string>();
  readonly categoryParents = new Map<string, string | undefined>();
  readonly categoryIndex = new Map<string, number>();
  /** Statement file records by id: their bytes are checked once every entry is known. */
  readonly fileRecords = new Map<string, { index: number; fileName: string; fileSize?: number }>();
  /** Ids of records that failed: what only refers to them is not reported again (one cause, one error). */
  readonly failedIds = new Set<string>();
  readonly transactionIds = new UuidSet(1 << 16);
  /** account.defaultFileMapId is checked once file maps are read. */
  readonly pendingDefaultMaps: Array<{ index: number; id: string; fileMapId: string }> = [];
  /** Where each entity's records were read from, for messages about them. */
  readonly locations = new Map<EntityKind, string>();

  constructor(readonly limits: FzipLimits) {
    this.errors = new IssueList(limits.maxReportedIssues);
    this.warnings = new IssueList(limits.maxReportedIssues);
  }

  error(issue: Issue<ErrorCode>): void {
    this.errors.add(issue);
  }
  warn(issue: Issue<WarningCode>): void {
    this.warnings.add(issue);
  }
}

function supportedVersion(v: string): boolean {
  return v.split('.')[0] === '1';
}

function checkManifest(v: Validation, raw: unknown, file: string, format: PackageFormat): FzipManifest | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    v.error({ code: 'INVALID_MANIFEST', message: 'the manifest must be a JSON object', file });
    return undefined;
  }
  const failure = manifestCheck()(raw);
  if (failure) {
    v.error({ code: 'INVALID_MANIFEST', message: `manifest field ${failure.field || '(root)'} ${failure.message}`, file, field: failure.field });
    return undefined;
  }
  const m = raw as FzipManifest;
  const version = (m.backupFormatVersion ?? m.exportFormatVersion) as string;
  if (!supportedVersion(version)) {
    v.error({
      code: 'UNSUPPORTED_FORMAT_VERSION',
      message: `format version ${version} is not supported (1.x is)`,
      file,
      field: m.backupFormatVersion ? '/backupFormatVersion' : '/exportFormatVersion',
    });
  }
  if (m.packageFormat && m.packageFormat !== format) {
    v.warn({
      code: 'PACKAGE_FORMAT_MISMATCH',
      message: `the manifest says packageFormat "${m.packageFormat}" but the package is ${format}`,
      file,
      field: '/packageFormat',
    });
  }
  const ds = m.dataSummary;
  v.manifest = {
    formatVersion: version,
    exportedAt: m.backupTimestamp ?? m.exportTimestamp,
    sourceUserId: m.userId,
    housef3Version: m.housef3Version,
    ...(typeof (m.backupType ?? m.exportType) === 'string' ? { backupType: (m.backupType ?? m.exportType) as string } : {}),
    ...(m.selection && typeof m.selection === 'object' ? { selection: m.selection as Record<string, unknown> } : {}),
    declaredCounts: ds
      ? Object.fromEntries(
          (Object.keys(ENTITIES) as EntityKind[])
            .filter((k) => typeof ds[ENTITIES[k].countKey] === 'number')
            .map((k) => [k, ds[ENTITIES[k].countKey] as number]),
        )
      : undefined,
  };
  return m;
}

/** Every money field within the range we store (|x| < 10^15, at most 12 decimal places). */
function checkMoney(v: Validation, kind: EntityKind, r: PlainRecord, where: Issue<ErrorCode>): void {
  const bad = (field: string, value: unknown) => {
    const problem = moneyProblem(value);
    if (problem) v.error({ ...where, code: 'INVALID_VALUE', field, message: `${field.slice(1).replace(/\//g, '.')} ${problem}`, ...withValue(r, field) });
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

/** The offending value of an issue, when the record has one at the field. */
function withValue(record: unknown, field: string | undefined): { value?: string } {
  const value = valueText(record, field);
  return value === undefined ? {} : { value };
}

/** At most this many ids of a category cycle are named in its message. */
const MAX_CYCLE_IDS_LISTED = 6;

function describeCycle(cycle: string[]): string {
  if (cycle.length <= MAX_CYCLE_IDS_LISTED) return [...cycle, cycle[0]].join(' -> ');
  const head = cycle.slice(0, MAX_CYCLE_IDS_LISTED - 1);
  return `${head.join(' -> ')} -> … (${cycle.length - head.length} more) -> ${cycle[0]} (${cycle.length} categories)`;
}

/** Per-record business checks, done as each record passes. */
/** A statement file name's UTF-8 bytes at most: {userId ≤ 128}/{fileId}/{fileName} within S3's 1,024-byte keys. */
export const MAX_FILE_NAME_BYTES = 850;

function checkRecord(v: Validation, kind: EntityKind, r: PlainRecord, where: Issue<ErrorCode>): void {
  const ref = (field: string, target: string, known: boolean) => {
    // a reference to a record that failed is that record's problem, already reported
    if (!known && !v.failedIds.has(target.slice(target.lastIndexOf(' ') + 1))) {
      v.error({ ...where, code: 'UNKNOWN_REFERENCE', field, message: `${field.slice(1)} refers to ${target} that is not in the package` });
    }
  };
  const id = where.id as string;
  checkMoney(v, kind, r, where);
  switch (kind) {
    case 'accounts':
      if (v.accountIds.has(id)) v.error({ ...where, code: 'DUPLICATE_ID', field: '/accountId', message: `account ${id} appears more than once` });
      v.accountIds.add(id);
      if (typeof r.defaultFileMapId === 'string') v.pendingDefaultMaps.push({ index: where.index as number, id, fileMapId: r.defaultFileMapId });
      break;
    case 'fileMaps':
      if (v.fileMapIds.has(id)) v.error({ ...where, code: 'DUPLICATE_ID', field: '/fileMapId', message: `file map ${id} appears more than once` });
      v.fileMapIds.add(id);
      if (typeof r.accountId === 'string') ref('/accountId', `account ${r.accountId}`, v.accountIds.has(r.accountId));
      break;
    case 'categories':
      if (v.categoryParents.has(id)) {
        v.error({ ...where, code: 'DUPLICATE_ID', field: '/categoryId', message: `category ${id} appears more than once` });
      } else {
        v.categoryParents.set(id, typeof r.parentCategoryId === 'string' ? r.parentCategoryId : undefined);
        v.categoryIndex.set(id, where.index as number);
      }
      break;
    case 'transactionFiles':
      if (typeof r.fileName === 'string' && Buffer.byteLength(r.fileName) > MAX_FILE_NAME_BYTES) {
        v.error({
          ...where,
          code: 'INVALID_VALUE',
          field: '/fileName',
          message: `fileName is ${Buffer.byteLength(r.fileName)} bytes in UTF-8; stored as {user}/{fileId}/{fileName} it must stay within ${MAX_FILE_NAME_BYTES} bytes (an S3 key holds 1,024)`,
        });
      }
      if (v.fileRecords.has(id)) {
        v.error({ ...where, code: 'DUPLICATE_ID', field: '/fileId', message: `transaction file ${id} appears more than once` });
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
          v.error({ ...where, code: 'INVALID_VALUE', field: '/dateRange', message: 'dateRange.startDate is after dateRange.endDate' });
        }
      }
      break;
    case 'transactions': {
      if (!v.transactionIds.add(id)) {
        v.error({ ...where, code: 'DUPLICATE_ID', field: '/transactionId', message: `transaction ${id} appears more than once` });
      }
      ref('/accountId', `account ${r.accountId}`, v.accountIds.has(r.accountId as string));
      if (typeof r.fileId === 'string') ref('/fileId', `transaction file ${r.fileId}`, v.fileRecords.has(r.fileId));
      if (typeof r.primaryCategoryId === 'string') {
        ref('/primaryCategoryId', `category ${r.primaryCategoryId}`, v.categoryParents.has(r.primaryCategoryId));
      }
      if (Array.isArray(r.categories)) {
        (r.categories as Array<{ categoryId: string }>).forEach((c, i) =>
          ref(`/categories/${i}/categoryId`, `category ${c.categoryId}`, v.categoryParents.has(c.categoryId)),
        );
      }
      if (typeof r.transactionHash === 'string' && BigInt(r.transactionHash) > 0xffffffffffffffffn) {
        v.error({ ...where, code: 'INVALID_VALUE', field: '/transactionHash', message: 'transactionHash does not fit in an unsigned 64-bit integer' });
      }
      break;
    }
  }
}

/** Checks that need a whole entity: parents exist, no cycles; account default maps. */
function checkAfterEntity(v: Validation, kind: EntityKind, file: string): void {
  if (kind === 'fileMaps') {
    for (const p of v.pendingDefaultMaps) {
      if (!v.fileMapIds.has(p.fileMapId)) {
        v.error({
          code: 'UNKNOWN_REFERENCE',
          message: `defaultFileMapId refers to file map ${p.fileMapId} that is not in the package`,
          file: v.locations.get('accounts'),
          index: p.index,
          id: p.id,
          field: '/defaultFileMapId',
        });
      }
    }
  }
  if (kind === 'categories') {
    const state = new Map<string, 1 | 2>(); // 1 = on the current path, 2 = done
    for (const start of v.categoryParents.keys()) {
      const path: string[] = [];
      let cur: string | undefined = start;
      while (cur !== undefined && !state.has(cur)) {
        state.set(cur, 1);
        path.push(cur);
        const parent: string | undefined = v.categoryParents.get(cur);
        if (parent !== undefined && !v.categoryParents.has(parent)) {
          v.error({
            code: 'UNKNOWN_REFERENCE',
            message: `parentCategoryId refers to category ${parent} that is not in the package`,
            file,
            index: v.categoryIndex.get(cur),
            id: cur,
            field: '/parentCategoryId',
          });
          break;
        }
        cur = parent;
      }
      if (cur !== undefined && state.get(cur) === 1) {
        const cycle = path.slice(path.indexOf(cur));
        v.error({
          code: 'CATEGORY_CYCLE',
          message: `categories form a parent cycle: ${describeCycle(cycle)}`,
          file,
          index: v.categoryIndex.get(cur),
          id: cur,
          field: '/parentCategoryId',
        });
      }
      for (const p of path) state.set(p, 2);
    }
  }
}

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

async function readEntity(v: Validation, reader: PackageReader, kind: EntityKind, options: ValidateOptions): Promise<void> {
  const info = ENTITIES[kind];
  const file = reader.dataLocation(kind);
  v.locations.set(kind, file);
  const check = entityCheck(kind);
  const known = declaredFields(kind);
  const unknownSeen = new Set<string>();
  const maxRecords = kind === 'transactions' ? v.limits.maxRecordsPerEntity : Math.min(v.limits.maxRecordsPerEntity, v.limits.maxReferenceRecords);
  // DynamoDB counts at most about twice the JSON text (and JSON text is at most 3 bytes a
  // character): only records above this length can be too large as items, so only they are sized.
  const itemBudget = v.limits.maxStoredItemBytes - v.limits.storedItemReserveBytes;
  const sizeCheckFromLength = Math.floor((itemBudget - 3) / 6);
  try {
    for await (const batch of reader.records(kind)) {
      for (const el of batch) {
        const index = el.index;
        if (++v.counts[kind] > maxRecords) {
          throw new FzipFatalError({
            code: 'TOO_MANY_RECORDS',
            message: `${file} holds more than ${maxRecords} records`,
            file,
          });
        }
        let value: unknown;
        try {
          value = JSON.parse(el.text);
        } catch (err) {
          v.error({ code: 'INVALID_JSON', message: `record is not valid JSON: ${(err as Error).message}`, file, index });
          continue;
        }
        if (value === null || typeof value !== 'object' || Array.isArray(value)) {
          v.error({ code: 'INVALID_RECORD', message: 'record must be a JSON object', file, index });
          continue;
        }
        const rec = value as PlainRecord;
        const rawId = rec[info.idField];
        const id = typeof rawId === 'string' ? rawId : undefined;
        if (countKeys(rec) !== el.keys) {
          // JSON.parse kept the last of a repeated key: the record means two things
          const dup = findDuplicateKey(el.text);
          if (dup) {
            if (id !== undefined) v.failedIds.add(id);
            v.error({ code: 'DUPLICATE_KEY', message: `${dup.pointer.slice(1)} appears twice in the record (which one is meant cannot be known)`, file, index, ...(id !== undefined ? { id } : {}), field: dup.pointer });
            continue;
          }
        }
        // A \uD800-style escape can make a string that is not Unicode text (and cannot be stored
        // as UTF-8); raw bytes cannot (the UTF-8 decoder is strict), so only escapes are looked at.
        if (el.text.includes('\\u') && SURROGATE_ESCAPE.test(el.text)) {
          const at = loneSurrogateAt(rec, '');
          if (at !== undefined) {
            if (id !== undefined) v.failedIds.add(id);
            v.error({
              code: 'INVALID_ENCODING',
              message: `${at ? at.slice(1) : 'record'} holds an unpaired surrogate escape (\\uD800-\\uDFFF alone): not a character`,
              file,
              index,
              ...(id !== undefined ? { id } : {}),
              field: at,
            });
            continue;
          }
        }
        const failure = check(rec);
        if (failure) {
          if (id !== undefined) v.failedIds.add(id);
          v.error({
            code: 'SCHEMA_VIOLATION',
            message: `${failure.field ? failure.field.slice(1) : 'record'} ${failure.message}`,
            file,
            index,
            ...(id !== undefined ? { id } : {}),
            field: failure.field,
            ...withValue(rec, failure.field),
          });
          continue;
        }
        for (const k in rec) {
          if (!known.has(k) && !unknownSeen.has(k)) {
            unknownSeen.add(k);
            v.warn({ code: 'UNKNOWN_FIELD', message: `field ${k} is not part of the format; it is kept as it is`, file, index, id, field: `/${k}` });
          }
        }
        const before = v.errors.total;
        checkRecord(v, kind, rec, { code: 'INVALID_RECORD', message: '', file, index, id });
        if (v.errors.total !== before) {
          if (id !== undefined && kind !== 'transactions') v.failedIds.add(id);
          continue;
        }
        const normalized = normalizeRecord(kind, rec);
        if (el.text.length > sizeCheckFromLength) {
          const size = dynamoItemSize(normalized);
          if (size > itemBudget) {
            if (id !== undefined) v.failedIds.add(id);
            v.error({
              code: 'ITEM_TOO_LARGE',
              message: `stored, this record would be a ${size}-byte item; with the importer's keys and attributes it must stay under ${itemBudget} bytes (DynamoDB holds at most ${v.limits.maxStoredItemBytes} bytes an item)`,
              file,
              index,
              ...(id !== undefined ? { id } : {}),
            });
            continue;
          }
        }
        if (options.onRecord) {
          // Await only when the consumer is busy (e.g. flushing a chunk): no microtask per record.
          const pending = options.onRecord(kind, normalized, index);
          if (pending) await pending;
        }
      }
    }
  } catch (err) {
    if (!(err instanceof FzipFatalError)) throw err;
    v.error(err.issue);
  }
  checkAfterEntity(v, kind, file);
}

async function checkStatementFiles(v: Validation, reader: PackageReader, verify: boolean): Promise<void> {
  if (reader.format !== 'fzip') return;
  const entries = reader.statementFiles();
  v.statementFiles = entries.length;
  const byId = new Map<string, typeof entries>();
  for (const e of entries) byId.set(e.fileId, [...(byId.get(e.fileId) ?? []), e]);
  for (const [fileId, tf] of v.fileRecords) {
    const expected = fileEntryName(fileId, tf.fileName);
    const found = byId.get(fileId);
    if (!found) {
      v.warn({
        code: 'MISSING_FILE_BYTES',
        message: `no bytes for this statement file (expected ${expected}); its record is imported without them`,
        file: v.locations.get(FILE_KIND),
        index: tf.index,
        id: fileId,
      });
      continue;
    }
    const exact = found.find((f) => f.entryName === expected) ?? found[0];
    if (tf.fileSize !== undefined && tf.fileSize !== exact.size) {
      v.warn({
        code: 'FILE_SIZE_MISMATCH',
        message: `fileSize says ${tf.fileSize} bytes but ${exact.entryName} holds ${exact.size}`,
        file: v.locations.get(FILE_KIND),
        index: tf.index,
        id: fileId,
        field: '/fileSize',
      });
    }
  }
  for (const e of entries) {
    if (!v.fileRecords.has(e.fileId) && !v.failedIds.has(e.fileId)) {
      v.warn({ code: 'UNREFERENCED_FILE', message: 'no transaction file record refers to this file; it is not imported', file: e.entryName });
    }
    if (verify) {
      try {
        await reader.verifyEntry(e.entryName);
      } catch (err) {
        if (!(err instanceof FzipFatalError)) throw err;
        v.error(err.issue);
      }
    }
  }
}

function checkCounts(v: Validation): void {
  const declared = v.manifest?.declaredCounts;
  if (!declared) return;
  for (const [kind, n] of Object.entries(declared) as Array<[EntityKind, number]>) {
    if (n !== v.counts[kind]) {
      v.warn({
        code: 'COUNT_MISMATCH',
        message: `dataSummary.${ENTITIES[kind].countKey} says ${n} but the package holds ${v.counts[kind]}`,
        file: 'manifest.json',
        field: `/dataSummary/${ENTITIES[kind].countKey}`,
      });
    }
  }
}

export async function validatePackage(source: RangeSource, options: ValidateOptions = {}): Promise<ValidationReport> {
  const limits = resolveLimits(options.limits);
  const v = new Validation(limits);
  let format: PackageFormat | 'unknown' = options.packageFormat ?? 'unknown';
  const finish = (): ValidationReport => ({
    valid: v.errors.total === 0,
    packageFormat: format,
    packageName: source.name,
    packageBytes: source.size,
    manifest: v.manifest,
    counts: { ...v.counts, statementFiles: v.statementFiles },
    ...(Object.keys(v.derived).length ? { derived: { ...v.derived } } : {}),
    errorCount: v.errors.total,
    errors: v.errors.items,
    warningCount: v.warnings.total,
    warnings: v.warnings.items,
  });

  if (source.size > limits.maxPackageBytes) {
    v.error({ code: 'PACKAGE_TOO_LARGE', message: `the package is ${source.size} bytes; the limit is ${limits.maxPackageBytes}` });
    return finish();
  }
  const sniffed = await sniffFormat(source);
  if (!sniffed || (options.packageFormat && sniffed !== options.packageFormat)) {
    const expected = options.packageFormat ? `an ${options.packageFormat === 'fzip' ? 'FZIP (ZIP)' : 'JSON'} package` : 'a ZIP or a JSON document';
    v.error({
      code: options.packageFormat === 'fzip' ? 'NOT_A_ZIP' : 'UNKNOWN_PACKAGE_FORMAT',
      message: `the file is not ${expected}`,
    });
    return finish();
  }
  format = sniffed;

  let reader: PackageReader | undefined;
  try {
    reader = await openPackage(source, sniffed, limits, (w) => v.warn(w));
    const manifestFile = sniffed === 'fzip' ? 'manifest.json' : 'manifest';
    const manifest = checkManifest(v, await reader.readManifest(), manifestFile, sniffed);
    if (!manifest) return finish();
    const checksums = (manifest.checksums ?? {}) as Record<string, string>;
    reader.useChecksums(checksums);
    for (const kind of READ_ORDER) await readEntity(v, reader, kind, options);
    for (const name of Object.keys(DERIVED_DATA) as DerivedData[]) await readDerived(v, reader, name);
    await checkStatementFiles(v, reader, options.verifyStatementFiles !== false);
    await verifyRemainingChecksums(v, reader, checksums);
    checkCounts(v);
  } catch (err) {
    if (!(err instanceof FzipFatalError)) throw err;
    v.error(err.issue);
  } finally {
    reader?.close();
  }
  return finish();
}

/**
 * A derived data file (analytics): each record is checked against its schema, so a package that
 * says it holds analytics holds well-formed ones; none is imported (the importing side
 * recomputes them from its transactions, which a package's figures could contradict).
 */
async function readDerived(v: Validation, reader: PackageReader, name: DerivedData): Promise<void> {
  const file = reader.derivedLocation(name);
  if (file === undefined) return;
  const check = derivedCheck(name);
  let count = 0;
  for await (const batch of reader.derivedRecords(name)) {
    for (const el of batch) {
      if (++count > v.limits.maxRecordsPerEntity) {
        throw new FzipFatalError({ code: 'TOO_MANY_RECORDS', message: `${file} holds more than ${v.limits.maxRecordsPerEntity} records`, file });
      }
      let value: unknown;
      try {
        value = JSON.parse(el.text);
      } catch (err) {
        v.error({ code: 'INVALID_JSON', message: `record is not valid JSON: ${(err as Error).message}`, file, index: el.index });
        continue;
      }
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        v.error({ code: 'INVALID_RECORD', message: 'record must be a JSON object', file, index: el.index });
        continue;
      }
      const failure = check(value);
      if (failure) {
        v.error({
          code: 'SCHEMA_VIOLATION',
          message: `${failure.field ? failure.field.slice(1) : 'record'} ${failure.message}`,
          file,
          index: el.index,
          field: failure.field,
          ...withValue(value as PlainRecord, failure.field),
        });
      }
    }
  }
  if (!count) return;
  v.derived[name] = count;
  v.warn({
    code: 'DERIVED_DATA_RECOMPUTED',
    message: `the package's ${name} (${count} records) were checked and are not imported: your ${name} are recomputed from your transactions after the import`,
    file,
  });
}

/** Checksums of entries that nothing else read (and of entries that are not there). */
async function verifyRemainingChecksums(v: Validation, reader: PackageReader, checksums: Record<string, string>): Promise<void> {
  if (reader.format !== 'fzip') return;
  const read = new Set<string>(reader.statementFiles().map((f) => f.entryName));
  for (const kind of READ_ORDER) read.add(reader.dataLocation(kind));
  for (const name of Object.keys(DERIVED_DATA) as DerivedData[]) read.add(reader.derivedLocation(name) ?? '');
  for (const name of Object.keys(checksums)) {
    if (name === 'manifest.json') continue; // a manifest cannot hold its own hash
    if (!reader.hasEntry(name)) {
      v.error({ code: 'CHECKSUM_MISMATCH', message: `checksums name ${name}, which is not in the package`, file: 'manifest.json', field: `/checksums/${name}` });
      continue;
    }
    if (read.has(name)) continue;
    try {
      await reader.verifyEntry(name);
    } catch (err) {
      if (!(err instanceof FzipFatalError)) throw err;
      v.error(err.issue);
    }
  }
}
