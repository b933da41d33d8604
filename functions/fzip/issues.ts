/** Problems found in a package: stable codes, and where each one is. */

export const ERROR_CODES = [
  // container
  'PACKAGE_TOO_LARGE',
  'NOT_A_ZIP',
  'UNKNOWN_PACKAGE_FORMAT',
  'TOO_MANY_ENTRIES',
  'INVALID_ENTRY_NAME',
  'UNEXPECTED_ENTRY',
  'DUPLICATE_ENTRY',
  'SYMLINK_ENTRY',
  'ENCRYPTED_ENTRY',
  'UNSUPPORTED_COMPRESSION',
  'ENTRY_TOO_LARGE',
  'PACKAGE_UNCOMPRESSED_TOO_LARGE',
  'COMPRESSION_RATIO_TOO_HIGH',
  'LOCAL_HEADER_MISMATCH',
  'OVERLAPPING_ENTRIES',
  'ENTRY_SIZE_MISMATCH',
  'CRC_MISMATCH',
  'CORRUPT_ENTRY',
  'CHECKSUM_MISMATCH',
  'AMBIGUOUS_DATA_FILE',
  // manifest and data files
  'MISSING_MANIFEST',
  'INVALID_MANIFEST',
  'UNSUPPORTED_FORMAT_VERSION',
  'INVALID_ENCODING',
  'INVALID_JSON',
  'DUPLICATE_KEY',
  'INVALID_DATA_FILE',
  'DATA_FILE_TOO_LARGE',
  'RECORD_TOO_LARGE',
  'ITEM_TOO_LARGE',
  'RECORD_TOO_DEEP',
  'TOO_MANY_RECORDS',
  'INVALID_RECORD',
  'SCHEMA_VIOLATION',
  // business rules
  'DUPLICATE_ID',
  'UNKNOWN_REFERENCE',
  'CATEGORY_CYCLE',
  'INVALID_VALUE',
  // merge strategy and selective import (used by the import workflow)
  'ID_CONFLICT',
  'FILTER_UNKNOWN_ACCOUNT',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const WARNING_CODES = [
  'COUNT_MISMATCH',
  'MISSING_FILE_BYTES',
  'UNREFERENCED_FILE',
  'UNKNOWN_FIELD',
  'IGNORED_ENTRY',
  'FILE_SIZE_MISMATCH',
  'PACKAGE_FORMAT_MISMATCH',
  'DERIVED_DATA_RECOMPUTED',
] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

export interface Issue<C extends string = string> {
  code: C;
  message: string;
  /** ZIP entry or data file the problem is in. */
  file?: string;
  /** Index of the record in its data file's array (0-based). */
  index?: number;
  /** Id of the record, when it has one. */
  id?: string;
  /** JSON pointer of the field inside the record, e.g. /categories/0/categoryId. */
  field?: string;
  /** The offending value as JSON text (cut to MAX_VALUE_TEXT), when one field's value is at fault. */
  value?: string;
}

/** Longest value text an issue carries. */
export const MAX_VALUE_TEXT = 120;

/** The value at a JSON pointer of a record, as bounded JSON text; undefined when absent. */
export function valueText(record: unknown, pointer: string | undefined): string | undefined {
  if (pointer === undefined) return undefined;
  let at: unknown = record;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (at === null || typeof at !== 'object' || !Object.prototype.hasOwnProperty.call(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  if (at === undefined) return undefined;
  let text: string | undefined;
  try {
    text = JSON.stringify(at, (_k, x) => (typeof x === 'bigint' ? String(x) : x));
  } catch {
    return undefined;
  }
  if (text === undefined) return undefined;
  return text.length > MAX_VALUE_TEXT ? `${text.slice(0, MAX_VALUE_TEXT - 1)}…` : text;
}

/** Longest message (and id, file, field) an issue carries: reports must fit in a job record. */
export const MAX_ISSUE_TEXT = 500;

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** The issue with every text bounded (a long id or file name cannot grow a report without limit). */
export function boundedIssue<C extends string>(issue: Issue<C>): Issue<C> {
  const out: Issue<C> = { ...issue, message: clip(issue.message, MAX_ISSUE_TEXT) };
  if (issue.file !== undefined) out.file = clip(issue.file, 300);
  if (issue.id !== undefined) out.id = clip(issue.id, 200);
  if (issue.field !== undefined) out.field = clip(issue.field, 300);
  if (issue.value !== undefined) out.value = clip(issue.value, MAX_VALUE_TEXT);
  return out;
}

/** Keeps the first N issues and counts all of them. */
export class IssueList<C extends string> {
  readonly items: Issue<C>[] = [];
  total = 0;
  constructor(private readonly cap: number) {}

  add(issue: Issue<C>): void {
    this.total++;
    if (this.items.length < this.cap) this.items.push(boundedIssue(issue));
  }
}

/** Thrown when the package cannot be read any further (container-level problems). */
export class FzipFatalError extends Error {
  constructor(readonly issue: Issue<ErrorCode>) {
    super(issue.message);
    this.name = 'FzipFatalError';
  }
}
