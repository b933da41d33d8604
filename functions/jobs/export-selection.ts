/**
 * What an export takes: everything (a complete backup), or a selection (housef3's backup request
 * names): transactions of some accounts (accountIds), between two days inclusive
 * (dateRangeStart, dateRangeEnd, YYYY-MM-DD, UTC), assigned to some categories (categoryIds:
 * the primary category or any assignment; subcategories are not implied). Filters combine
 * (all must hold). A selective package holds the selected transactions and everything they
 * need, and its manifest declares the selection, so that a replace import of it replaces only
 * inside it.
 */
import { PlainRecord } from '../fzip/normalize';

export interface ExportSelection {
  accountIds?: string[];
  categoryIds?: string[];
  dateRangeStart?: string;
  dateRangeEnd?: string;
}

export type BackupType = 'complete' | 'selective';

export interface ExportRequest {
  backupType: BackupType;
  selection?: ExportSelection;
  description?: string;
  /** The user's current analytics go into the package (data/analytics.json.gz). */
  includeAnalytics?: boolean;
}

/** A field of the request and what is wrong with it (a 400's details). */
export interface RequestProblem {
  field: string;
  message: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const MAX_SELECTED_IDS = 1000;
export const MAX_DESCRIPTION = 500;

/** Epoch ms of a YYYY-MM-DD day's start (UTC), or undefined when it is not a real day. */
export function dayStartMs(text: unknown): number | undefined {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return undefined;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text ? undefined : ms;
}

function ids(value: unknown, field: string, what: string, out: RequestProblem[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_SELECTED_IDS) {
    out.push({ field, message: `must be a list of 1 to ${MAX_SELECTED_IDS} ${what} ids` });
    return undefined;
  }
  const bad = value.findIndex((v) => typeof v !== 'string' || !UUID.test(v));
  if (bad >= 0) {
    out.push({ field: `${field}[${bad}]`, message: `must be a ${what} id (a UUID), not ${JSON.stringify(value[bad])?.slice(0, 60)}` });
    return undefined;
  }
  return [...new Set(value as string[])];
}

/** The body of POST /export, checked field by field; problems name the field. */
export function parseExportRequest(body: Record<string, unknown>): { request?: ExportRequest; problems: RequestProblem[] } {
  const problems: RequestProblem[] = [];
  const known = ['backupType', 'accountIds', 'categoryIds', 'dateRangeStart', 'dateRangeEnd', 'includeAnalytics', 'description'];
  for (const k of Object.keys(body)) if (!known.includes(k)) problems.push({ field: k, message: 'is not a known field' });
  const selection: ExportSelection = {};
  const accountIds = ids(body.accountIds, 'accountIds', 'account', problems);
  if (accountIds) selection.accountIds = accountIds;
  const categoryIds = ids(body.categoryIds, 'categoryIds', 'category', problems);
  if (categoryIds) selection.categoryIds = categoryIds;
  for (const f of ['dateRangeStart', 'dateRangeEnd'] as const) {
    if (body[f] === undefined) continue;
    if (dayStartMs(body[f]) === undefined) problems.push({ field: f, message: `must be a day YYYY-MM-DD, not ${JSON.stringify(body[f])?.slice(0, 40)}` });
    else selection[f] = body[f] as string;
  }
  if (selection.dateRangeStart && selection.dateRangeEnd && selection.dateRangeStart > selection.dateRangeEnd) {
    problems.push({ field: 'dateRangeEnd', message: `is before dateRangeStart (${selection.dateRangeStart})` });
  }
  if (body.includeAnalytics !== undefined && typeof body.includeAnalytics !== 'boolean') problems.push({ field: 'includeAnalytics', message: 'must be true or false' });
  if (body.description !== undefined && (typeof body.description !== 'string' || body.description.length > MAX_DESCRIPTION)) {
    problems.push({ field: 'description', message: `must be text of at most ${MAX_DESCRIPTION} characters` });
  }
  const selective = Object.keys(selection).length > 0;
  // the figures are the user's, over every account and month: a selection's package would contradict them
  if (body.includeAnalytics === true && selective) {
    problems.push({ field: 'includeAnalytics', message: 'cannot go with a selection: analytics cover all your accounts and months (back up everything, or leave analytics out)' });
  }
  let backupType: BackupType = selective ? 'selective' : 'complete';
  if (body.backupType !== undefined) {
    if (body.backupType !== 'complete' && body.backupType !== 'selective') {
      problems.push({ field: 'backupType', message: `must be complete or selective, not ${JSON.stringify(body.backupType)?.slice(0, 40)}` });
    } else if (body.backupType === 'complete' && selective) {
      problems.push({ field: 'backupType', message: 'is complete, but the request selects (accountIds, categoryIds, dateRangeStart or dateRangeEnd): leave it out or say selective' });
    } else if (body.backupType === 'selective' && !selective) {
      problems.push({ field: 'backupType', message: 'is selective, but nothing is selected: give accountIds, categoryIds, dateRangeStart or dateRangeEnd' });
    } else backupType = body.backupType;
  }
  if (problems.length) return { problems };
  return {
    problems,
    request: {
      backupType,
      ...(selective ? { selection } : {}),
      ...(typeof body.description === 'string' ? { description: body.description } : {}),
      ...(body.includeAnalytics === true ? { includeAnalytics: true } : {}),
    },
  };
}

/** Whether a transaction is inside the selection (every filter given must hold). */
export function selectionMatcher(selection: ExportSelection | undefined): (t: PlainRecord) => boolean {
  if (!selection) return () => true;
  const accounts = selection.accountIds ? new Set(selection.accountIds) : undefined;
  const categories = selection.categoryIds ? new Set(selection.categoryIds) : undefined;
  const from = selection.dateRangeStart ? (dayStartMs(selection.dateRangeStart) as number) : -Infinity;
  const to = selection.dateRangeEnd ? (dayStartMs(selection.dateRangeEnd) as number) + 86_400_000 - 1 : Infinity;
  return (t) => {
    if (accounts && !accounts.has(t.accountId as string)) return false;
    const date = typeof t.date === 'number' ? t.date : Number(t.date);
    if ((from !== -Infinity || to !== Infinity) && !(date >= from && date <= to)) return false;
    if (categories) {
      const assigned = [t.primaryCategoryId, ...(Array.isArray(t.categories) ? (t.categories as Array<{ categoryId?: unknown }>).map((c) => c?.categoryId) : [])];
      if (!assigned.some((c) => typeof c === 'string' && categories.has(c))) return false;
    }
    return true;
  };
}

/**
 * The selection a package's manifest declares: undefined for a complete package; null for a
 * selective one whose selection cannot be read (then a replace import deletes nothing).
 */
export function manifestSelection(manifest: { backupType?: string; selection?: Record<string, unknown> } | undefined): ExportSelection | null | undefined {
  if (!manifest || manifest.backupType !== 'selective') return undefined;
  if (!manifest.selection) return null;
  const { accountIds, categoryIds, dateRangeStart, dateRangeEnd } = manifest.selection;
  const { request } = parseExportRequest({ accountIds, categoryIds, dateRangeStart, dateRangeEnd });
  return request?.selection ?? null;
}
