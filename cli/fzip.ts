/**
 * The `fzip` command. Format commands work on local files:
 *   fzip validate <file> [--json] [--format fzip|json]
 *   fzip inspect <file> [--json]
 *   fzip generate --transactions N [--accounts N] [--files N] [--seed S] -o out.fzip
 * Exit codes: 0 success / valid, 1 invalid package, 2 usage or I/O error.
 */
import { parseArgs } from 'node:util';
import { FileRangeSource } from '../functions/fzip/source';
import { validatePackage, ValidationReport } from '../functions/fzip/validator';
import { writePackageFile } from '../functions/fzip/writer';
import { syntheticPackage } from './synthetic-package';
import { Issue } from '../functions/fzip/issues';
import { countOf, countsText } from '../functions/jobs/vocabulary';
import { FILE_KIND } from '../functions/fzip/entities';
import {
  CliUsageError,
  clientErrorMessage,
  cancelCommand,
  confirmCommand,
  conflictsCommand,
  deleteCommand,
  eventsCommand,
  exportCommand,
  exportsCommand,
  analyticsCommand,
  historyCommand,
  undoCommand,
  importCommand,
  jobsCommand,
  statusCommand,
  tokenCommand,
} from './client-commands';

export const USAGE = `Usage:
  fzip validate <file> [--json] [--format fzip|json]   check a package; exit 0 valid, 1 invalid, 2 error
  fzip inspect <file> [--json]                          show the manifest and what the package holds
  fzip generate --transactions N [--accounts N] [--files N] [--seed S] -o <out.fzip>
                                                        write a realistic synthetic package

Talking to a deployment (the local stack of npm start by default; --api URL --token T,
or FZIP_API and FZIP_TOKEN, for another one):
  fzip import <file> [--strategy fail_on_conflict|overwrite|skip_existing|replace] [--validate-only] [--json]
             [--preview [--yes]] [--account ID]... [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--only kind,kind]
                                                        upload, start, follow the progress; exit 0 only if it completed.
                                                        --preview: show the plan and conflicts, then confirm (asked, or --yes);
                                                        --account/--from/--to/--only: a selective import
  fzip conflicts <importId> [--kind K] [--limit N] [--cursor C] [--json]
                                                        a previewed import's conflicts, field by field
  fzip confirm <importId> [--strategy S] [--decisions file.json] [--wait]
                                                        run a previewed import (decisions: [{kind, id, action}])
  fzip jobs [--limit N] [--cursor C] [--json]           your imports, newest first (--cursor: the next page)
  fzip status <importId> [--json]                       one import
  fzip delete <importId> [--force]                      remove an import and its objects (--force: even a failed
                                                        import not rolled back, whose undo it gives up)
  fzip export [-o file] [--account ID]... [--category ID]... [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--analytics] [--json]
                                                        export your data (or a selection) as an FZIP package, download it and validate it
                                                        (--analytics: with your monthly figures, data/analytics.json.gz)
  fzip exports [--limit N] [--cursor C] [--json]        your exports, newest first (--cursor: the next page)
  fzip analytics [--from YYYY-MM] [--to YYYY-MM] [--account ID] [--rebuild] [--json]
                                                        your monthly figures per account and currency (--rebuild: recompute them)
  fzip events [--import ID] [--json]                    import-end events the local stack's event bus received
  fzip cancel <importId> [--wait]                       cancel: nothing written yet -> canceled; else stop and roll back
  fzip undo <importId> [--force] [--wait]               roll a completed import back (--force: past later imports' changes)
  fzip history <importId> [--json] [--state-machine ARN]
                                                        the execution's states, retries and errors
  fzip token [--user NAME] [--ttl SECONDS]              a token from the local stack's issuer
  fzip help, fzip --help, fzip <command> --help         this text, or one command's

Exit codes: 0 success (a valid package, a completed import or export); 1 the package is invalid,
or the import / export did not complete (failed, canceled, validation failed, not valid);
2 a usage error, an I/O error, or an error answered by the API (HTTP 4xx/5xx, unreachable).`;

/** One command's lines of the usage text (with the exit codes). */
export function commandUsage(command: string): string | undefined {
  const lines = USAGE.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`  fzip ${command} `) || l === `  fzip ${command}`);
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && /^ {6,}/.test(lines[end])) end++;
  const exit = lines.slice(lines.findIndex((l) => l.startsWith('Exit codes:'))).join('\n');
  return ['Usage:', ...lines.slice(start, end), '', exit].join('\n');
}

export class UsageError extends Error {}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') };

function issueLine(i: Issue): string {
  const where = [i.file, i.index !== undefined ? `#${i.index}` : undefined].filter(Boolean).join('');
  const parts = [where, i.id ? `id ${i.id}` : undefined, i.field ? `field ${i.field}` : undefined].filter(Boolean).join(', ');
  return `  [${i.code}] ${parts ? parts + ': ' : ''}${i.message}`;
}

function humanBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatReport(r: ValidationReport): string {
  const lines = [`${r.packageName}: ${r.valid ? 'VALID' : 'INVALID'} (${r.packageFormat}, ${humanBytes(r.packageBytes)})`];
  const c = r.counts;
  lines.push(
    `  ${countsText(c)}; bytes for ${countOf(FILE_KIND, c.statementFiles)}`,
  );
  if (r.errorCount) {
    lines.push(`errors (${r.errorCount}${r.errors.length < r.errorCount ? `, first ${r.errors.length} shown` : ''}):`);
    lines.push(...r.errors.map(issueLine));
  }
  if (r.warningCount) {
    lines.push(`warnings (${r.warningCount}${r.warnings.length < r.warningCount ? `, first ${r.warnings.length} shown` : ''}):`);
    lines.push(...r.warnings.map(issueLine));
  }
  return lines.join('\n');
}

async function openSource(path: string | undefined): Promise<FileRangeSource> {
  if (!path) throw new UsageError('a package file is required');
  try {
    return await FileRangeSource.open(path);
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function intOption(v: string | undefined, name: string, fallback?: number): number | undefined {
  if (v === undefined) return fallback;
  if (!/^[0-9]+$/.test(v)) throw new UsageError(`--${name} must be a whole number`);
  return Number(v);
}

async function validateCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { json: { type: 'boolean' }, format: { type: 'string' } },
    allowPositionals: true,
  });
  if (values.format !== undefined && values.format !== 'fzip' && values.format !== 'json') {
    throw new UsageError('--format must be fzip or json');
  }
  const report = await validatePackage(await openSource(positionals[0]), {
    packageFormat: values.format as 'fzip' | 'json' | undefined,
  });
  io.out(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
  return report.valid ? 0 : 1;
}

async function inspectCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' } }, allowPositionals: true });
  const report = await validatePackage(await openSource(positionals[0]), { verifyStatementFiles: false });
  const summary = {
    package: report.packageName,
    format: report.packageFormat,
    bytes: report.packageBytes,
    manifest: report.manifest,
    counts: report.counts,
    valid: report.valid,
    errorCount: report.errorCount,
    warningCount: report.warningCount,
  };
  if (values.json) {
    io.out(JSON.stringify(summary, null, 2));
  } else {
    const m = report.manifest;
    io.out(`${summary.package} (${summary.format}, ${humanBytes(summary.bytes)})`);
    if (m) {
      io.out(`  format version ${m.formatVersion}, exported ${m.exportedAt ?? '?'} by ${m.sourceUserId ?? '?'} (housef3 ${m.housef3Version ?? '?'})`);
    }
    for (const [k, n] of Object.entries(report.counts)) {
      const declared = m?.declaredCounts?.[k as keyof typeof m.declaredCounts];
      io.out(`  ${k.padEnd(18)} ${String(n).padStart(9)}${declared !== undefined && declared !== n ? `  (manifest says ${declared})` : ''}`);
    }
    io.out(`  ${report.valid ? 'valid' : `INVALID: ${report.errorCount} error(s); run fzip validate for details`}`);
  }
  return 0;
}

async function generateCommand(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      transactions: { type: 'string' },
      accounts: { type: 'string' },
      files: { type: 'string' },
      seed: { type: 'string' },
      output: { type: 'string', short: 'o' },
    },
  });
  const transactions = intOption(values.transactions, 'transactions');
  if (transactions === undefined) throw new UsageError('--transactions is required');
  if (!values.output) throw new UsageError('-o <out.fzip> is required');
  const started = Date.now();
  const input = syntheticPackage({
    transactions,
    accounts: intOption(values.accounts, 'accounts'),
    files: intOption(values.files, 'files'),
    seed: intOption(values.seed, 'seed', 1),
  });
  const result = await writePackageFile(input, values.output);
  const c = result.counts;
  io.out(
    `wrote ${values.output}: ${countsText(c)} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  return 0;
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command && (rest.includes('--help') || rest.includes('-h'))) {
    const usage = commandUsage(command);
    if (usage) {
      io.out(usage);
      return 0;
    }
  }
  try {
    switch (command) {
      case 'validate':
        return await validateCommand(rest, io);
      case 'inspect':
        return await inspectCommand(rest, io);
      case 'generate':
        return await generateCommand(rest, io);
      case 'import':
        return await importCommand(rest, io, io === defaultIo && process.stdout.isTTY === true);
      case 'jobs':
        return await jobsCommand(rest, io);
      case 'status':
        return await statusCommand(rest, io);
      case 'delete':
        return await deleteCommand(rest, io);
      case 'history':
        return await historyCommand(rest, io);
      case 'cancel':
        return await cancelCommand(rest, io);
      case 'conflicts':
        return await conflictsCommand(rest, io);
      case 'confirm':
        return await confirmCommand(rest, io);
      case 'export':
        return await exportCommand(rest, io, io === defaultIo && process.stdout.isTTY === true);
      case 'exports':
        return await exportsCommand(rest, io);
      case 'analytics':
        return await analyticsCommand(rest, io);
      case 'events':
        return await eventsCommand(rest, io);
      case 'undo':
        return await undoCommand(rest, io);
      case 'token':
        return await tokenCommand(rest, io);
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return 0;
      default:
        throw new UsageError(command ? `unknown command "${command}"` : 'a command is required');
    }
  } catch (err) {
    const e = err as Error & { code?: string };
    if (err instanceof UsageError || err instanceof CliUsageError || e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      io.err(`fzip: ${e.message}\n${USAGE}`);
      return 2;
    }
    io.err(`fzip: ${clientErrorMessage(err) ?? e.message}`);
    return 2;
  }
}
