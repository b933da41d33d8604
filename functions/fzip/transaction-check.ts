/**
 * Transactions are checked in two steps, so the first can run on any thread:
 * - inspection (TransactionInspector): what a record shows alone or against the reference kinds
 *   read before it (JSON, schema, money, hash, item size, whether its account, statement file and
 *   categories are in the package), batch by batch, into a BatchVerdict;
 * - the rules (TransactionRules): what needs the transactions read before (a repeated id) and the
 *   ids that failed (a reference to a failed record is not reported again), applied on the
 *   validator's thread in read order. What inspection finds after the rules' place in the order
 *   (a hash out of range, an item too large) waits in the verdict and is said by the rules, so a
 *   record's issues come in the order one pass would give them: money, repeated id, references,
 *   hash, then size (only when nothing else failed).
 * The validator's thread inspects batches itself or has a worker do it (check-thread.ts); either
 * way verdicts are applied in order, so the report does not depend on where they were made.
 */
import type { JsonElement } from './json/element-splitter';
import { UuidSet, uuidWords } from './json/uuid-set';
import { boundedIssue, ErrorCode, Issue, WarningCode } from './issues';
import { FzipLimits } from './limits';
import type { PlainRecord } from './normalize';
import { CountingSink, countingSink, IssueSink, moneyIssues, RecordReader, UnknownFields } from './record-check';

/** Record passed inspection (handed on when the rules pass too). */
export const PASSED = 1;
/** Record read, but a check of its own values failed: the rules still see it (its id counts), it is not handed on. */
export const VALUES_FAILED = 2;
/** Record read, its values fine, but too large as an item: said as such unless the rules fail it first. */
export const TOO_LARGE = 3;

/** The ids transactions may refer to: the reference kinds, complete before transactions are read. */
export interface ReferenceIds {
  accountIds: ReadonlySet<string> | ReadonlyMap<string, unknown>;
  fileIds: ReadonlySet<string> | ReadonlyMap<string, unknown>;
  categoryIds: ReadonlySet<string> | ReadonlyMap<string, unknown>;
}

/** What inspecting a batch found. Positions are the records' places in their batch. */
export interface BatchVerdict {
  /** Issues in the order found: [position, 'error' | 'warning', issue]. */
  issues: Array<[number, 'error' | 'warning', Issue<ErrorCode> | Issue<WarningCode>]>;
  /** Per record: 0 failed (no rule sees it), PASSED, VALUES_FAILED or TOO_LARGE. */
  status: Uint8Array;
  /** Ids of records that failed, with their positions (the rules do not report what refers to them). */
  failed: Array<[number, string]>;
  /** Each record's id as four words (a read record's; zeros for one that failed). */
  ids: Uint32Array;
  /** Per record read, what the rules must still decide (see Unsettled), as JSON; '' when nothing (nearly always). */
  unsettled: string[];
  /** Records as read, when inspected on the thread that hands them on (never sent between threads). */
  records?: Array<PlainRecord | undefined>;
}

/** What inspection leaves to the rules: references to ids no reference record has, unknown fields, issues said after the rules'. */
interface Unsettled {
  /** [field, what it refers to, id]: an error unless that id belongs to a record that failed. */
  refs?: Array<[string, string, string]>;
  unknown?: readonly string[];
  /** The hash out of range, said after the references. */
  hash?: Issue<ErrorCode>;
  /** Too large as an item, said when no rule failed (TOO_LARGE). */
  size?: Issue<ErrorCode>;
}

/** The first step: inspects batches of transactions (no state beyond the compiled schema and the reference ids). */
export class TransactionInspector {
  private verdict!: BatchVerdict;
  private at = 0;
  private readonly reader: RecordReader;
  /** Counts the errors of the current record's own values. */
  private readonly out: CountingSink;

  constructor(
    private readonly file: string,
    limits: FzipLimits,
    private readonly refs: ReferenceIds,
  ) {
    // bounded here, as the report's list would (a verdict may hold thousands)
    this.out = countingSink({
      error: (issue) => this.verdict.issues.push([this.at, 'error', boundedIssue(issue)]),
      warn: (issue) => this.verdict.issues.push([this.at, 'warning', boundedIssue(issue)]),
    });
    this.reader = new RecordReader('transactions', file, limits, this.out, (id) => this.verdict.failed.push([this.at, id]));
  }

  /** The batch's verdict; `keepRecords`: with the records as read (for the thread that hands them on). */
  inspect(batch: readonly JsonElement[], keepRecords = false): BatchVerdict {
    const n = batch.length;
    const verdict: BatchVerdict = { issues: [], status: new Uint8Array(n), failed: [], ids: new Uint32Array(n * 4), unsettled: new Array<string>(n).fill('') };
    if (keepRecords) verdict.records = new Array<PlainRecord | undefined>(n);
    this.verdict = verdict;
    for (let i = 0; i < n; i++) {
      this.at = i;
      const el = batch[i];
      const read = this.reader.read(el);
      if (!read) continue;
      const r = read.rec;
      this.out.errors = 0;
      const where: Issue<ErrorCode> = { code: 'INVALID_RECORD', message: '', file: this.file, index: el.index, id: read.id };
      moneyIssues('transactions', r, where, this.out);
      const unsettled: Unsettled = {};
      if (typeof r.transactionHash === 'string' && BigInt(r.transactionHash) > 0xffffffffffffffffn) {
        unsettled.hash = { ...where, code: 'INVALID_VALUE', field: '/transactionHash', message: 'transactionHash does not fit in an unsigned 64-bit integer' };
      }
      if (this.out.errors || unsettled.hash) {
        verdict.status[i] = VALUES_FAILED;
      } else {
        unsettled.size = this.reader.sizeIssue(el, read);
        verdict.status[i] = unsettled.size ? TOO_LARGE : PASSED;
      }
      if (keepRecords) verdict.records![i] = r;
      uuidWords(read.id as string, verdict.ids, i * 4);
      unsettled.refs = this.unknownRefs(r);
      if (read.unknown.length) unsettled.unknown = read.unknown;
      if (unsettled.refs || unsettled.unknown || unsettled.hash || unsettled.size) verdict.unsettled[i] = JSON.stringify(unsettled);
    }
    return verdict;
  }

  /** The record's references to ids that no reference record has, in field order. */
  private unknownRefs(r: PlainRecord): Unsettled['refs'] {
    const { accountIds, fileIds, categoryIds } = this.refs;
    let out: Unsettled['refs'];
    const ref = (field: string, target: string, id: string, known: boolean) => {
      if (!known) (out ??= []).push([field, target, id]);
    };
    ref('/accountId', 'account', r.accountId as string, accountIds.has(r.accountId as string));
    if (typeof r.fileId === 'string') ref('/fileId', 'transaction file', r.fileId, fileIds.has(r.fileId));
    if (typeof r.primaryCategoryId === 'string') ref('/primaryCategoryId', 'category', r.primaryCategoryId, categoryIds.has(r.primaryCategoryId));
    if (Array.isArray(r.categories)) {
      (r.categories as Array<{ categoryId: string }>).forEach((c, i) => ref(`/categories/${i}/categoryId`, 'category', c.categoryId, categoryIds.has(c.categoryId)));
    }
    return out;
  }
}

/** The second step: applies a verdict's records to the rules, in read order. */
export class TransactionRules {
  private readonly unknownFields: UnknownFields;

  constructor(
    private readonly file: string,
    private readonly transactionIds: UuidSet,
    private readonly failedIds: Set<string>,
    private readonly out: IssueSink,
  ) {
    this.unknownFields = new UnknownFields(file);
  }

  /**
   * Says the issues inspection found in the record at `at` (read through `cursor`, record by
   * record in order) and applies the rules; true when the record is to be handed on.
   */
  apply(verdict: BatchVerdict, at: number, cursor: VerdictCursor, index: number): boolean {
    const { out } = this;
    const { issues, failed: failedAt } = verdict;
    for (; cursor.issue < issues.length && issues[cursor.issue][0] === at; cursor.issue++) {
      const [, severity, issue] = issues[cursor.issue];
      if (severity === 'error') out.error(issue as Issue<ErrorCode>);
      else out.warn(issue as Issue<WarningCode>);
    }
    for (; cursor.failed < failedAt.length && failedAt[cursor.failed][0] === at; cursor.failed++) this.failedIds.add(failedAt[cursor.failed][1]);
    const status = verdict.status[at];
    if (!status) return false;
    const unsettled: Unsettled = verdict.unsettled[at] ? (JSON.parse(verdict.unsettled[at]) as Unsettled) : {};
    let id: string | undefined;
    if (verdict.unsettled[at]) id = idText(verdict.ids, at * 4);
    if (unsettled.unknown) this.unknownFields.note(out, unsettled.unknown, index, id);
    let failed = status === VALUES_FAILED;
    if (!this.transactionIds.addWords(verdict.ids, at * 4)) {
      failed = true;
      id ??= idText(verdict.ids, at * 4);
      out.error({ code: 'DUPLICATE_ID', message: `transaction ${id} appears more than once`, file: this.file, index, id, field: '/transactionId' });
    }
    for (const [field, target, targetId] of unsettled.refs ?? []) {
      // a reference to a record that failed is that record's problem, already reported
      if (this.failedIds.has(targetId)) continue;
      failed = true;
      out.error({ code: 'UNKNOWN_REFERENCE', message: `${field.slice(1)} refers to ${target} ${targetId} that is not in the package`, file: this.file, index, id, field });
    }
    if (unsettled.hash) out.error(unsettled.hash);
    if (failed) return false;
    if (unsettled.size) {
      // too large, and nothing else wrong with it: as a record that failed, nothing refers to it again
      this.failedIds.add(id as string);
      out.error(unsettled.size);
      return false;
    }
    return status === PASSED;
  }
}

/** Where applying a verdict has got to in its issues and failed ids (both in record order). */
export interface VerdictCursor {
  issue: number;
  failed: number;
}

/** A UUID's text from its four words (only for messages: rare). */
function idText(ids: Uint32Array, offset: number): string {
  const hex = [0, 1, 2, 3].map((k) => ids[offset + k].toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
