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
import { ErrorCode, FzipFatalError, Issue, IssueList, WarningCode } from './issues';
import { FzipLimits, resolveLimits } from './limits';
import { derivedCheck, manifestCheck } from './schema-validator';
import { normalizeRecord, PlainRecord } from './normalize';
import { openPackage, PackageFormat, PackageReader, sniffFormat } from './package-reader';
import { CheckThread, CheckThreadMode, checksInThread, MAX_BATCH_RECORDS, ReferenceSnapshot } from './check-thread';
import { RecordChecker, RuleState, IssueSink, withValue } from './record-check';
import { BatchVerdict, TransactionInspector, TransactionRules } from './transaction-check';
import type { JsonElement } from './json/element-splitter';
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
  /**
   * Where transactions are checked: 'auto' (default) uses a worker thread when the machine has a
   * second CPU and the package is not small, 'always', or 'never'. The report is the same.
   */
  checkThread?: CheckThreadMode;
}

const emptyCounts = (): EntityCounts => zeroCounts();

class Validation implements RuleState, IssueSink {
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

/** At most this many ids of a category cycle are named in its message. */
const MAX_CYCLE_IDS_LISTED = 6;

function describeCycle(cycle: string[]): string {
  if (cycle.length <= MAX_CYCLE_IDS_LISTED) return [...cycle, cycle[0]].join(' -> ');
  const head = cycle.slice(0, MAX_CYCLE_IDS_LISTED - 1);
  return `${head.join(' -> ')} -> … (${cycle.length - head.length} more) -> ${cycle[0]} (${cycle.length} categories)`;
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

/**
 * Reads and checks one entity's records, handing each that passes to onRecord. Transactions, the
 * one kind that can be large, are checked in two steps (transaction-check.ts): inspection, here or
 * in a worker thread when there is a second CPU, and the rules, here in read order.
 */
async function readEntity(v: Validation, reader: PackageReader, kind: EntityKind, options: ValidateOptions): Promise<void> {
  const file = reader.dataLocation(kind);
  v.locations.set(kind, file);
  const maxRecords = kind === 'transactions' ? v.limits.maxRecordsPerEntity : Math.min(v.limits.maxRecordsPerEntity, v.limits.maxReferenceRecords);
  const count = () => {
    if (++v.counts[kind] > maxRecords) {
      throw new FzipFatalError({ code: 'TOO_MANY_RECORDS', message: `${file} holds more than ${maxRecords} records`, file });
    }
  };
  // Await only when the consumer is busy (e.g. flushing a chunk): no microtask per record.
  const hand = (record: PlainRecord, index: number): void | Promise<void> => options.onRecord?.(kind, normalizeRecord(kind, record), index);
  try {
    if (kind === 'transactions') {
      const inspector = new TransactionInspector(file, v.limits, { accountIds: v.accountIds, fileIds: v.fileRecords, categoryIds: v.categoryParents });
      const rules = new TransactionRules(file, v.transactionIds, v.failedIds, v);
      // inspected here: keep the records read, to hand them on without reading them again
      const inspect = (batch: JsonElement[]) => inspector.inspect(batch, options.onRecord !== undefined);
      const mode = options.checkThread ?? 'auto';
      const thread = checksInThread(mode, reader.dataBytes(kind)) ? await CheckThread.get() : undefined;
      const batches = boundedBatches(reader.records(kind));
      const verdicts = thread
        ? thread.verdicts({ file, limits: v.limits, references: referenceSnapshot(v) }, batches, inspect, mode === 'always')
        : inspectHere(batches, inspect);
      for await (const { batch, verdict } of verdicts) {
        const cursor = { issue: 0, failed: 0 };
        for (let at = 0; at < batch.length; at++) {
          count();
          // a record inspected in the worker is read again here, where it is handed on
          if (rules.apply(verdict, at, cursor, batch[at].index) && options.onRecord) {
            const pending = hand(verdict.records?.[at] ?? (JSON.parse(batch[at].text) as PlainRecord), batch[at].index);
            if (pending) await pending;
          }
        }
      }
    } else {
      const checker = new RecordChecker(kind, file, v.limits, v, v);
      for await (const batch of reader.records(kind)) {
        for (const el of batch) {
          count();
          const record = checker.record(el);
          if (record && options.onRecord) {
            const pending = hand(record, el.index);
            if (pending) await pending;
          }
        }
      }
    }
  } catch (err) {
    if (!(err instanceof FzipFatalError)) throw err;
    v.error(err.issue);
  }
  checkAfterEntity(v, kind, file);
}

/** What transactions may refer to, as plain data for a worker thread. */
function referenceSnapshot(v: Validation): ReferenceSnapshot {
  return { accountIds: [...v.accountIds], fileIds: [...v.fileRecords.keys()], categoryIds: [...v.categoryParents.keys()] };
}

/** Batches of at most MAX_BATCH_RECORDS records (a chunk of tiny elements is cut), so a verdict stays small. */
async function* boundedBatches(batches: AsyncIterable<JsonElement[]>): AsyncGenerator<JsonElement[]> {
  for await (const batch of batches) {
    if (batch.length <= MAX_BATCH_RECORDS) yield batch;
    else for (let at = 0; at < batch.length; at += MAX_BATCH_RECORDS) yield batch.slice(at, at + MAX_BATCH_RECORDS);
  }
}

/** Verdicts made on this thread, batch by batch. */
async function* inspectHere(
  batches: AsyncIterable<JsonElement[]>,
  inspect: (batch: JsonElement[]) => BatchVerdict,
): AsyncGenerator<{ batch: JsonElement[]; verdict: BatchVerdict }> {
  for await (const batch of batches) yield { batch, verdict: inspect(batch) };
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
    // the worker that will inspect transactions loads while the other kinds are read
    if (checksInThread(options.checkThread ?? 'auto', reader.dataBytes('transactions'))) void CheckThread.get();
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
