/**
 * fzip commands that talk to a deployment (the local stack by default):
 *   import <file> [--strategy S] [--validate-only] [--format fzip|json] [--json]
 *   jobs [--limit N] [--json] · status <id> [--json] · delete <id> · history <id> [--json]
 *   cancel <id> · undo <id> [--force] [--wait]
 *   token [--user NAME] [--ttl SECONDS]
 * Shared flags: --api URL, --token T (or FZIP_API, FZIP_TOKEN).
 */
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { FileRangeSource } from '../functions/fzip/source';
import { sniffFormat } from '../functions/fzip/package-reader';
import { loadIssuer } from '../local/token-issuer';
import { ApiCallError, FzipClient, isFinishedJob, Job, localDir, resolveClientConfig } from './client';
import { executionArnOf } from '../functions/jobs/workflow-starter';
import { MERGE_STRATEGIES, MergeStrategy } from '../functions/jobs/job';
import { KIND_WORDS, STATUS_WORDS } from '../functions/jobs/vocabulary';
import { ENTITY_KINDS } from '../functions/fzip/entities';
import type { Io } from './fzip';

export class CliUsageError extends Error {}

const COMMON = {
  api: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  'state-machine': { type: 'string' },
} as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function bar(progress: number, width = 30): string {
  const filled = Math.round((Math.max(0, Math.min(100, progress)) / 100) * width);
  return `[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${String(progress).padStart(3)}%`;
}

export function summaryTable(job: Job): string {
  const results = job.importResults as Record<string, Record<string, number>> | null;
  const plan = (job.validationResults as { plan?: Record<string, Record<string, number>> } | null)?.plan;
  const rows: string[] = [];
  const entities = ENTITY_KINDS;
  if (results && Object.keys(results).length) {
    // replace deletes too: the column only where something was deleted
    const deletes = entities.some((e) => (results[e]?.deleted ?? 0) > 0);
    rows.push(`${'entity'.padEnd(18)}${'created'.padStart(10)}${'updated'.padStart(10)}${'skipped'.padStart(10)}${'unchanged'.padStart(11)}${'errors'.padStart(10)}${deletes ? 'deleted'.padStart(10) : ''}`);
    for (const e of entities) {
      const r = results[e] ?? {};
      rows.push(
        `${KIND_WORDS[e].many.padEnd(18)}${String(r.created ?? 0).padStart(10)}${String(r.updated ?? 0).padStart(10)}${String(r.skipped ?? 0).padStart(10)}${String(r.unchanged ?? 0).padStart(11)}${String(r.errors ?? 0).padStart(10)}${deletes ? String(r.deleted ?? 0).padStart(10) : ''}`,
      );
    }
  } else if (plan) {
    const deletes = entities.some((e) => (plan[e]?.delete ?? 0) > 0);
    rows.push(`${'entity'.padEnd(18)}${'would create'.padStart(14)}${'unchanged'.padStart(11)}${'conflicts'.padStart(11)}${'overwrite'.padStart(11)}${'skip'.padStart(8)}${deletes ? 'delete'.padStart(9) : ''}`);
    for (const e of entities) {
      const r = plan[e] ?? {};
      rows.push(
        `${KIND_WORDS[e].many.padEnd(18)}${String(r.create ?? 0).padStart(14)}${String(r.unchanged ?? 0).padStart(11)}${String(r.conflicts ?? 0).padStart(11)}${String(r.overwrite ?? 0).padStart(11)}${String(r.skip ?? 0).padStart(8)}${deletes ? String(r.delete ?? 0).padStart(9) : ''}`,
      );
    }
  }
  return rows.join('\n');
}

function validationProblems(job: Job): string[] {
  const v = job.validationResults as { errors?: Array<Record<string, unknown>>; errorCount?: number } | null;
  if (!v?.errors?.length) return [];
  const lines = v.errors.slice(0, 20).map((e) => {
    const where = [e.file, e.index !== undefined ? `#${e.index}` : ''].join('');
    return `  [${e.code}] ${where}${e.field ? ` ${e.field}` : ''}: ${e.message}`;
  });
  if ((v.errorCount ?? 0) > lines.length) lines.push(`  … ${(v.errorCount ?? 0) - lines.length} more`);
  return lines;
}

export async function importCommand(args: string[], io: Io, isTty = false): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...COMMON,
      strategy: { type: 'string' },
      'validate-only': { type: 'boolean' },
      format: { type: 'string' },
      interval: { type: 'string' },
      preview: { type: 'boolean' },
      yes: { type: 'boolean' },
      account: { type: 'string', multiple: true },
      from: { type: 'string' },
      to: { type: 'string' },
      only: { type: 'string' },
    },
    allowPositionals: true,
  });
  const file = positionals[0];
  if (!file) throw new CliUsageError('a package file is required');
  const strategy = values.strategy ?? 'fail_on_conflict';
  if (!MERGE_STRATEGIES.includes(strategy as MergeStrategy)) throw new CliUsageError(`--strategy must be one of ${MERGE_STRATEGIES.join(', ')}`);
  let source: FileRangeSource;
  try {
    source = await FileRangeSource.open(file);
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  const format = values.format ?? (await sniffFormat(source)) ?? 'fzip';
  const client = new FzipClient(resolveClientConfig(values));
  const filter: Record<string, unknown> = {};
  if (values.account?.length) filter.accountIds = values.account;
  if (values.from) filter.dateFrom = values.from;
  if (values.to) filter.dateTo = values.to;
  if (values.only) filter.kinds = values.only.split(',').map((k) => k.trim()).filter(Boolean);
  const created = await client.create({
    mergeStrategy: strategy,
    validateOnly: values['validate-only'] ?? false,
    packageFormat: format,
    ...(values.preview ? { requireConfirmation: true } : {}),
    ...(Object.keys(filter).length ? { filter } : {}),
    // shown in job lists; the API takes no control characters
    packageName: [...basename(source.name)].map((c) => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f ? '?' : c)).join('').slice(0, 255) || 'package',
  });
  const say = (s: string) => {
    if (!values.json) io.out(s);
  };
  say(`import ${created.importId}: uploading ${source.name} (${source.size} bytes)`);
  await client.upload(created.uploadUrl, file);
  await client.start(created.importId);
  let job: Job = await client.status(created.importId);
  let lastStatus = '';
  let lastPhase = '';
  const interval = Number(values.interval ?? 500);
  for (;;) {
    if (job.status !== lastStatus) {
      if (isTty && lastStatus) io.out('');
      say(`status: ${job.status}`);
      lastStatus = job.status;
    }
    if (!values.json && (job.currentPhase ?? '') !== lastPhase) {
      lastPhase = job.currentPhase ?? '';
      if (isTty) process.stdout.write(`\r${bar(job.progress)} ${lastPhase.padEnd(32)}`);
      else io.out(`${bar(job.progress)} ${lastPhase}`);
    }
    if (isFinishedJob(job)) break;
    if (job.status === 'awaiting_confirmation') {
      // The preview: the plan and the first conflicts, then confirm (asked, or --yes).
      if (isTty && !values.json) io.out('');
      if (!values.json) {
        io.out(summaryTable(job));
        for (const l of await conflictLines(client, created.importId, { limit: 10 })) io.out(l);
      }
      const go = values.yes === true || (isTty && (await ask(`confirm import ${created.importId}? [y/N] `)));
      if (!go) {
        say(`not confirmed: fzip confirm ${created.importId} imports it, fzip cancel ${created.importId} drops it (it expires otherwise)`);
        return values.json ? (io.out(JSON.stringify(job, null, 2)), 0) : 0;
      }
      try {
        await client.confirm(created.importId, {});
      } catch (err) {
        if (!(err instanceof ApiCallError) || err.code !== 'UNDECIDED_CONFLICTS') throw err;
        // fail_on_conflict means "stop at a conflict": confirming needs a choice the user has to make.
        io.err(`${err.message}\nthe import waits: fzip confirm ${created.importId} --strategy overwrite|skip_existing (or --decisions file.json), or fzip cancel ${created.importId}`);
        return 1;
      }
      lastPhase = '';
    }
    await sleep(interval);
    job = await client.status(created.importId);
  }
  if (isTty && !values.json) io.out('');
  const ok = job.status === 'completed' || (job.status === 'validation_passed' && job.validateOnly);
  if (values.json) {
    io.out(JSON.stringify(job, null, 2));
  } else {
    io.out(summaryTable(job));
    if (!ok) {
      io.out(`${job.status}: ${job.errorMessage ?? ''}`);
      if (job.rolledBack !== null && job.rolledBack !== undefined) {
        io.out(job.rolledBack ? 'everything the import wrote was rolled back: your data is as it was' : 'the import could NOT be rolled back completely: run fzip undo to try again');
      }
      const line = rollbackLine(job);
      if (line) io.out(line);
      for (const l of validationProblems(job)) io.out(l);
    } else {
      io.out(job.status === 'completed' ? 'import completed' : 'validation passed (validate only: nothing was written)');
    }
  }
  return ok ? 0 : 1;
}

export async function jobsCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { ...COMMON, limit: { type: 'string' }, cursor: { type: 'string' } } });
  const page = await new FzipClient(resolveClientConfig(values)).list(pageLimit(values.limit, 20), values.cursor);
  if (values.json) {
    io.out(JSON.stringify(page, null, 2));
    return 0;
  }
  io.out(`${'importId'.padEnd(38)}${'status'.padEnd(22)}${'progress'.padStart(8)}  ${'uploadedAt'.padEnd(25)}package`);
  for (const j of page.importJobs) {
    io.out(`${j.importId.padEnd(38)}${String(j.status).padEnd(22)}${String(j.progress).padStart(7)}%  ${new Date(j.uploadedAt).toISOString().padEnd(25)}${j.packageName ?? ''}`);
  }
  if (page.nextEvaluatedKey) io.out(`more: fzip jobs --limit ${pageLimit(values.limit, 20)} --cursor ${page.nextEvaluatedKey}`);
  return 0;
}

export async function statusCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: COMMON, allowPositionals: true });
  if (!positionals[0]) throw new CliUsageError('an import id is required');
  const job = await new FzipClient(resolveClientConfig(values)).status(positionals[0]);
  if (values.json) {
    io.out(JSON.stringify(job, null, 2));
  } else {
    io.out(`import ${job.importId}: ${job.status} (${STATUS_WORDS[job.status]?.label ?? job.status}) ${bar(job.progress)} ${job.currentPhase ?? ''}`);
    if (job.packageName) io.out(`package: ${job.packageName}`);
    if (job.actions?.length) io.out(`you may: ${job.actions.join(', ')}`);
    if (job.errorMessage) io.out(`error: ${job.errorMessage}`);
    const table = summaryTable(job);
    if (table) io.out(table);
    for (const l of validationProblems(job)) io.out(l);
  }
  return 0;
}

export async function deleteCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...COMMON, force: { type: 'boolean' } }, allowPositionals: true });
  if (!positionals[0]) throw new CliUsageError('an import id is required');
  await new FzipClient(resolveClientConfig(values)).remove(positionals[0], values.force === true);
  io.out(`deleted ${positionals[0]}`);
  return 0;
}

export async function historyCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: COMMON, allowPositionals: true });
  if (!positionals[0]) throw new CliUsageError('an import id is required');
  const client = new FzipClient(resolveClientConfig(values));
  const job = await client.status(positionals[0]);
  if (!job.executionName) throw new Error(`import ${job.importId} has no execution yet (status ${job.status})`);
  if (!client.stateMachineArn) throw new CliUsageError('the state machine is unknown: pass --state-machine ARN or set FZIP_STATE_MACHINE_ARN (the stack output StateMachineArn)');
  const executionArn = executionArnOf(client.stateMachineArn, job.executionName);
  const events = await client.history(executionArn);
  if (values.json) {
    io.out(JSON.stringify(events, null, 2));
    return 0;
  }
  io.out(`execution ${job.executionName}`);
  for (const e of events) {
    const extra = e as Record<string, any>;
    const d = (e.stateEnteredEventDetails ?? e.stateExitedEventDetails ?? extra.taskRetriedEventDetails ?? extra.taskCaughtEventDetails ?? {}) as { name?: string };
    const failure = e.taskFailedEventDetails ?? e.executionFailedEventDetails;
    const at = e.timestamp ? new Date(e.timestamp).toISOString().slice(11, 23) : '';
    io.out(`${at}  ${String(e.type).padEnd(22)} ${d.name ?? e.taskFailedEventDetails?.resource ?? ''}${failure ? `  ${failure.error ?? ''}: ${failure.cause ?? ''}` : ''}`);
  }
  return 0;
}

/** Follows a job until it has finished, printing each new status. */
async function follow(client: FzipClient, importId: string, io: Io, interval: number): Promise<Job> {
  let job = await client.status(importId);
  let last = '';
  for (;;) {
    if (job.status !== last) {
      io.out(`status: ${job.status}${job.currentPhase && job.currentPhase !== job.status ? ` (${job.currentPhase})` : ''}`);
      last = job.status;
    }
    if (isFinishedJob(job)) return job;
    await sleep(interval);
    job = await client.status(importId);
  }
}

function rollbackLine(job: Job): string | undefined {
  const r = job.rollbackResults as { restored: number; deleted: number; changedSince: number } | null;
  if (!r) return undefined;
  return `rolled back: ${r.restored} restored, ${r.deleted} deleted, ${r.changedSince} changed since (left as they are)`;
}

/** Asks on the terminal; true for y/yes. */
async function ask(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

/** The first conflicts of an import as table lines. */
interface ConflictQuery {
  kind?: string;
  limit: number;
  cursor?: string;
}

/** The conflicts as a table: a page of them, and how to get the next page. */
async function conflictLines(client: FzipClient, importId: string, query: ConflictQuery): Promise<string[]> {
  const page = await client.conflicts(importId, query);
  if (!page.total) return [query.kind ? `no ${query.kind} conflicts` : 'no conflicts: every existing record is unchanged'];
  const lines = [`${page.total} conflict(s) and deletion(s)${page.cursor ? `; ${page.conflicts.length} shown` : ''}:`];
  lines.push(`  ${'kind'.padEnd(17)}${'id'.padEnd(38)}${'field'.padEnd(18)}${'current'.padEnd(24)}incoming`);
  const show = (v: unknown) => (JSON.stringify(v) ?? '').slice(0, 22);
  for (const c of page.conflicts) {
    // replace: a record of yours the backup does not hold
    if (c.action === 'delete') lines.push(`  ${c.kind.padEnd(17)}${c.id.padEnd(38)}${'(deleted: not in the backup)'}`);
    for (const f of c.fields) lines.push(`  ${c.kind.padEnd(17)}${c.id.padEnd(38)}${f.field.padEnd(18)}${show(f.current).padEnd(24)}${show(f.incoming)}`);
  }
  if (page.cursor) lines.push(`more: fzip conflicts ${importId}${query.kind ? ` --kind ${query.kind}` : ''} --limit ${query.limit} --cursor ${page.cursor}`);
  return lines;
}

/** --limit for a page of the API (1 to 100). */
function pageLimit(raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^[0-9]+$/.test(raw) || n < 1 || n > 100) throw new CliUsageError('--limit must be a whole number from 1 to 100');
  return n;
}

export async function conflictsCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...COMMON, kind: { type: 'string' }, limit: { type: 'string' }, cursor: { type: 'string' } }, allowPositionals: true });
  if (!positionals[0]) throw new CliUsageError('an import id is required');
  const client = new FzipClient(resolveClientConfig(values));
  const query: ConflictQuery = { kind: values.kind, limit: pageLimit(values.limit, 50), cursor: values.cursor };
  if (values.json) {
    io.out(JSON.stringify(await client.conflicts(positionals[0], query), null, 2));
    return 0;
  }
  for (const l of await conflictLines(client, positionals[0], query)) io.out(l);
  return 0;
}

export async function confirmCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...COMMON, strategy: { type: 'string' }, decisions: { type: 'string' }, wait: { type: 'boolean' }, interval: { type: 'string' } },
    allowPositionals: true,
  });
  if (!positionals[0]) throw new CliUsageError('an import id is required');
  if (values.strategy && !MERGE_STRATEGIES.includes(values.strategy as MergeStrategy)) throw new CliUsageError(`--strategy must be one of ${MERGE_STRATEGIES.join(', ')}`);
  const { readFileSync } = await import('node:fs');
  const decisions = values.decisions ? (JSON.parse(readFileSync(values.decisions, 'utf8')) as unknown[]) : undefined;
  const client = new FzipClient(resolveClientConfig(values));
  const res = await client.confirm(positionals[0], { ...(values.strategy ? { mergeStrategy: values.strategy } : {}), ...(decisions ? { decisions } : {}) });
  io.out(`${res.importId}: ${res.status} — ${res.message}`);
  if (!values.wait) return 0;
  const job = await follow(client, positionals[0], io, Number(values.interval ?? 500));
  io.out(summaryTable(job));
  return job.status === 'completed' ? 0 : 1;
}

export async function cancelCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { ...COMMON, wait: { type: 'boolean' }, interval: { type: 'string' } }, allowPositionals: true });
  if (!positionals[0]) throw new CliUsageError('an import id is required');
  const client = new FzipClient(resolveClientConfig(values));
  const res = await client.cancel(positionals[0]);
  io.out(`${res.importId}: ${res.status} — ${res.message}`);
  if (!values.wait || res.status === 'canceled') return 0;
  const job = await follow(client, positionals[0], io, Number(values.interval ?? 500));
  const line = rollbackLine(job);
  if (line) io.out(line);
  return job.status === 'canceled' ? 0 : 1;
}

export async function undoCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...COMMON, force: { type: 'boolean' }, wait: { type: 'boolean' }, interval: { type: 'string' } },
    allowPositionals: true,
  });
  if (!positionals[0]) throw new CliUsageError('an import id is required');
  const client = new FzipClient(resolveClientConfig(values));
  const res = await client.undo(positionals[0], values.force === true);
  io.out(`${res.importId}: ${res.status} — ${res.message}`);
  if (!values.wait) return 0;
  const job = await follow(client, positionals[0], io, Number(values.interval ?? 500));
  const line = rollbackLine(job);
  if (line) io.out(line);
  if (job.status !== 'undone' && job.errorMessage) io.out(`${job.status}: ${job.errorMessage}`);
  return job.status === 'undone' ? 0 : 1;
}

export async function exportCommand(args: string[], io: Io, isTty = false): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...COMMON,
      output: { type: 'string', short: 'o' },
      interval: { type: 'string' },
      account: { type: 'string', multiple: true },
      category: { type: 'string', multiple: true },
      from: { type: 'string' },
      to: { type: 'string' },
      description: { type: 'string' },
      analytics: { type: 'boolean' },
    },
  });
  const client = new FzipClient(resolveClientConfig(values));
  const say = (line: string) => {
    if (!values.json) io.out(line);
  };
  // a selective backup: the API checks each filter and names the one that is wrong
  const started = await client.createExport({
    ...(values.account?.length ? { accountIds: values.account } : {}),
    ...(values.category?.length ? { categoryIds: values.category } : {}),
    ...(values.from ? { dateRangeStart: values.from } : {}),
    ...(values.to ? { dateRangeEnd: values.to } : {}),
    ...(values.description ? { description: values.description } : {}),
    ...(values.analytics ? { includeAnalytics: true } : {}),
  });
  say(`export ${started.exportId}: started`);
  const interval = Number(values.interval ?? 500);
  let job = await client.exportStatus(started.exportId);
  let lastPhase = '';
  while (job.status === 'processing') {
    if (!values.json && (job.currentPhase ?? '') !== lastPhase) {
      lastPhase = job.currentPhase ?? '';
      if (isTty) process.stdout.write(`\r${bar(job.progress)} ${lastPhase.padEnd(32)}`);
      else io.out(`${bar(job.progress)} ${lastPhase}`);
    }
    await sleep(interval);
    job = await client.exportStatus(started.exportId);
  }
  if (isTty && !values.json) io.out('');
  if (job.status !== 'completed' || !job.downloadUrl) {
    if (values.json) io.out(JSON.stringify(job, null, 2));
    else io.out(`${job.status}: ${job.errorMessage ?? ''}`);
    return 1;
  }
  const file = values.output ?? `fzip-export-${started.exportId}.fzip`;
  const bytes = await client.download(job.downloadUrl, file);
  // What we hand over must import: it is checked with our own validator first.
  const { FileRangeSource } = await import('../functions/fzip/source');
  const { validatePackage } = await import('../functions/fzip/validator');
  const report = await validatePackage(await FileRangeSource.open(file));
  if (values.json) {
    io.out(JSON.stringify({ ...job, file, bytes, valid: report.valid, errors: report.errors }, null, 2));
  } else {
    const c = job.counts as Record<string, number>;
    io.out(`${'entity'.padEnd(18)}${'records'.padStart(10)}`);
    for (const k of ENTITY_KINDS) io.out(`${KIND_WORDS[k].many.padEnd(18)}${String(c?.[k] ?? 0).padStart(10)}`);
    io.out(`${'  with bytes'.padEnd(18)}${String(c?.statementFiles ?? 0).padStart(10)}`);
    io.out(report.valid ? `wrote ${file} (${bytes} bytes): a valid package` : `wrote ${file}, but it does not validate:`);
    for (const e of report.errors.slice(0, 20)) io.out(`  [${e.code}] ${e.file ?? ''}${e.index !== undefined ? `#${e.index}` : ''} ${e.message}`);
  }
  return report.valid ? 0 : 1;
}

export async function exportsCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { ...COMMON, limit: { type: 'string' }, cursor: { type: 'string' } } });
  const page = await new FzipClient(resolveClientConfig(values)).listExports(pageLimit(values.limit, 20), values.cursor);
  if (values.json) {
    io.out(JSON.stringify(page, null, 2));
    return 0;
  }
  io.out(`${'exportId'.padEnd(38)}${'status'.padEnd(12)}${'progress'.padStart(8)}${'bytes'.padStart(12)}  createdAt`);
  for (const e of page.exports) {
    io.out(`${String(e.exportId).padEnd(38)}${String(e.status).padEnd(12)}${String(e.progress).padStart(7)}%${String(e.packageSize ?? '').padStart(12)}  ${new Date(e.createdAt).toISOString()}`);
  }
  if (page.nextEvaluatedKey) io.out(`more: fzip exports --limit ${pageLimit(values.limit, 20)} --cursor ${page.nextEvaluatedKey}`);
  return 0;
}

/** The import-end events the local stack's event bus received (its events.jsonl). */
export async function eventsCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' }, import: { type: 'string' } } });
  const { existsSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const file = join(localDir(), 'events.jsonl');
  if (!existsSync(file)) {
    io.out(values.json ? '[]' : `no events yet (${file}); the local stack (npm start) writes them there`);
    return 0;
  }
  const events = readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { time: string; detailType: string; detail: Record<string, unknown> })
    .filter((e) => !values.import || e.detail.importId === values.import);
  if (values.json) {
    io.out(JSON.stringify(events, null, 2));
    return 0;
  }
  for (const e of events) {
    const range = e.detail.dateRange as { from: number; to: number } | null;
    io.out(
      `${e.time}  ${e.detailType.padEnd(26)} ${String(e.detail.importId)}  accounts ${(e.detail.accountIds as string[]).length}` +
        (range ? `  ${new Date(range.from).toISOString().slice(0, 10)}..${new Date(range.to).toISOString().slice(0, 10)}` : ''),
    );
  }
  return 0;
}

export async function tokenCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { user: { type: 'string' }, ttl: { type: 'string' } } });
  const issuer = loadIssuer(localDir());
  io.out(issuer.sign(values.user ?? 'dev-user', { ttlSeconds: values.ttl ? Number(values.ttl) : 12 * 3600 }));
  return 0;
}

export function clientErrorMessage(err: unknown): string | undefined {
  if (err instanceof ApiCallError) return `${err.message}${err.status ? ` (HTTP ${err.status} ${err.code})` : ''}`;
  return undefined;
}

/** fzip analytics [--from YYYY-MM] [--to YYYY-MM] [--account ID] [--rebuild] [--json]: your monthly figures. */
export async function analyticsCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...COMMON, from: { type: 'string' }, to: { type: 'string' }, account: { type: 'string' }, rebuild: { type: 'boolean' } },
  });
  const client = new FzipClient(resolveClientConfig(values));
  if (values.rebuild) {
    const res = await client.rebuildAnalytics();
    io.out(values.json ? JSON.stringify(res, null, 2) : res.message);
    return 0;
  }
  const query: Record<string, string> = {};
  if (values.from) query.from = values.from;
  if (values.to) query.to = values.to;
  if (values.account) query.accountId = values.account;
  const res = await client.analytics(query);
  if (values.json) {
    io.out(JSON.stringify(res, null, 2));
    return 0;
  }
  io.out(`analytics: ${res.state}${res.builtAt ? ` (built ${new Date(res.builtAt).toISOString()})` : ''}`);
  io.out(`${'month'.padEnd(9)}${'currency'.padEnd(9)}${'account'.padEnd(38)}${'inflow'.padStart(16)}${'outflow'.padStart(16)}${'net'.padStart(16)}${'count'.padStart(8)}`);
  for (const m of res.months) {
    for (const [id, a] of Object.entries(m.accounts)) {
      const figures = [a.inflow, a.outflow, a.net].map((v) => String(v).padStart(16)).join('');
      io.out(`${m.month.padEnd(9)}${m.currency.padEnd(9)}${id.padEnd(38)}${figures}${String(a.count).padStart(8)}`);
    }
  }
  return 0;
}
