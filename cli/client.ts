/**
 * The fzip client: talks to any deployment's REST API (the local stack by default) exactly as a
 * browser or script would: create the job, POST the package to the presigned form, start,
 * poll. Also reads an execution's history from Step Functions.
 */
import { existsSync, openAsBlob, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isFinished } from '../functions/jobs/job';
import type { ImportJobView } from '../functions/jobs/job-view';
import { GetExecutionHistoryCommand, GetExecutionHistoryCommandOutput, HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';

export interface ClientConfig {
  api: string;
  token?: string;
  /** Step Functions endpoint for `history` (the local stack's; AWS when undefined). */
  sfnEndpoint?: string;
  /** The import state machine's ARN for `history` (the local stack's, or FZIP_STATE_MACHINE_ARN). */
  stateMachineArn?: string;
}

export function localDir(): string {
  return process.env.FZIP_LOCAL_DIR ?? join(process.cwd(), '.fzip-local');
}

/** Flags first, then FZIP_API / FZIP_TOKEN, then what a running local stack wrote down. */
export function resolveClientConfig(flags: { api?: string; token?: string; 'state-machine'?: string }): ClientConfig {
  const dir = localDir();
  let endpoints: { apiUrl?: string; sfnEndpoint?: string; stateMachineArn?: string } = {};
  const file = join(dir, 'endpoints.json');
  if (existsSync(file)) {
    try {
      endpoints = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      endpoints = {};
    }
  }
  const api = (flags.api ?? process.env.FZIP_API ?? endpoints.apiUrl ?? 'http://127.0.0.1:3000').replace(/\/+$/, '');
  const tokenFile = join(dir, 'dev-token');
  const token = flags.token ?? process.env.FZIP_TOKEN ?? (existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : undefined);
  const isLocal = endpoints.apiUrl !== undefined && api === endpoints.apiUrl;
  const sfnEndpoint = process.env.FZIP_SFN_ENDPOINT ?? (isLocal ? endpoints.sfnEndpoint : undefined);
  const stateMachineArn = flags['state-machine'] ?? process.env.FZIP_STATE_MACHINE_ARN ?? (isLocal ? endpoints.stateMachineArn : undefined);
  return { api, token, sfnEndpoint, stateMachineArn };
}

export class ApiCallError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiCallError';
  }
}

/** An import as the API shows it (the API's own view type; extra fields tolerated for newer servers). */
export type Job = ImportJobView & Record<string, any>;

type Figures = Record<string, Record<string, string | number>>;
export interface AnalyticsView {
  state: string;
  builtAt: number | null;
  months: Array<{ month: string; currency: string; accounts: Figures; categories: Figures | null }>;
}

export interface CreateBody {
  mergeStrategy?: string;
  validateOnly?: boolean;
  packageFormat?: string;
  requireConfirmation?: boolean;
  filter?: Record<string, unknown>;
  /** The file's name, shown in job lists. */
  packageName?: string;
}

export interface ConflictPage {
  total: number;
  conflicts: Array<{ kind: string; id: string; action?: 'delete'; fields: Array<{ field: string; current: unknown; incoming: unknown }> }>;
  cursor: string | null;
}

export class FzipClient {
  constructor(private readonly cfg: ClientConfig) {}

  private async call(method: string, path: string, body?: unknown): Promise<any> {
    if (!this.cfg.token) throw new ApiCallError(401, 'NO_TOKEN', 'no token: pass --token, set FZIP_TOKEN, or start the local stack (npm start)');
    let res: Response;
    try {
      res = await fetch(`${this.cfg.api}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.cfg.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      throw new ApiCallError(0, 'UNREACHABLE', `cannot reach ${this.cfg.api} (${(err as Error).message}); is the stack running (npm start)?`);
    }
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      throw new ApiCallError(res.status, parsed?.error?.code ?? 'ERROR', parsed?.error?.message ?? `HTTP ${res.status}`);
    }
    return parsed;
  }

  create(body: CreateBody): Promise<{ importId: string; uploadUrl: { url: string; fields: Record<string, string> } }> {
    return this.call('POST', '/import', body);
  }

  /** Streams the file through the presigned POST form (fields first, the file last). */
  async upload(upload: { url: string; fields: Record<string, string> }, path: string): Promise<void> {
    const form = new FormData();
    for (const [k, v] of Object.entries(upload.fields)) form.append(k, v);
    form.append('file', await openAsBlob(path), 'package.fzip');
    const res = await fetch(upload.url, { method: 'POST', body: form });
    const text = await res.text();
    if (!res.ok) throw new ApiCallError(res.status, 'UPLOAD_FAILED', `the upload was refused (HTTP ${res.status}): ${text.slice(0, 300)}`);
  }

  /** Starts processing; an import the S3 event already started is fine. */
  async start(importId: string): Promise<void> {
    try {
      await this.call('POST', `/import/${importId}/upload`);
    } catch (err) {
      // 409: already started (by the S3 event, usually) — unless the package is not there.
      if (err instanceof ApiCallError && err.status === 409 && !/no package/.test(err.message)) return;
      throw err;
    }
  }

  status(importId: string): Promise<Job> {
    return this.call('GET', `/import/${importId}/status`);
  }

  list(limit?: number, cursor?: string): Promise<{ importJobs: Job[]; nextEvaluatedKey: string | null }> {
    const q = new URLSearchParams();
    if (limit) q.set('limit', String(limit));
    if (cursor) q.set('lastEvaluatedKey', cursor);
    return this.call('GET', `/import${q.size ? `?${q}` : ''}`);
  }

  remove(importId: string, force = false): Promise<void> {
    return this.call('DELETE', `/import/${importId}${force ? '?force=true' : ''}`);
  }

  conflicts(importId: string, q: { kind?: string; limit?: number; cursor?: string } = {}): Promise<ConflictPage> {
    const p = new URLSearchParams();
    if (q.kind) p.set('kind', q.kind);
    if (q.limit) p.set('limit', String(q.limit));
    if (q.cursor) p.set('cursor', q.cursor);
    return this.call('GET', `/import/${importId}/conflicts${p.size ? `?${p}` : ''}`);
  }

  confirm(importId: string, body: { mergeStrategy?: string; decisions?: unknown[] }): Promise<{ importId: string; status: string; message: string }> {
    return this.call('POST', `/import/${importId}/confirm`, body);
  }

  cancel(importId: string): Promise<{ importId: string; status: string; message: string }> {
    return this.call('POST', `/import/${importId}/cancel`);
  }

  undo(importId: string, force: boolean): Promise<{ importId: string; status: string; message: string; changedSince?: number }> {
    return this.call('POST', `/import/${importId}/undo`, force ? { force: true } : undefined);
  }

  /** A complete export, or a selective one (housef3's backup request names: accountIds, dateRangeStart, …). */
  createExport(body?: Record<string, unknown>): Promise<{ exportId: string; status: string; message: string }> {
    return this.call('POST', '/export', body && Object.keys(body).length ? body : undefined);
  }

  /** Monthly figures (GET /analytics), or a rebuild asked for. */
  analytics(query: Record<string, string>): Promise<AnalyticsView> {
    const q = new URLSearchParams(query).toString();
    return this.call('GET', `/analytics${q ? `?${q}` : ''}`);
  }

  rebuildAnalytics(): Promise<{ state: string; message: string }> {
    return this.call('POST', '/analytics/rebuild');
  }

  exportStatus(exportId: string): Promise<Job & { exportId: string; downloadUrl: string | null }> {
    return this.call('GET', `/export/${exportId}/status`);
  }

  listExports(limit?: number, cursor?: string): Promise<{ exports: Array<Record<string, any>>; nextEvaluatedKey: string | null }> {
    const q = new URLSearchParams();
    if (limit) q.set('limit', String(limit));
    if (cursor) q.set('lastEvaluatedKey', cursor);
    return this.call('GET', `/export${q.size ? `?${q}` : ''}`);
  }

  removeExport(exportId: string): Promise<void> {
    return this.call('DELETE', `/export/${exportId}`);
  }

  /** Streams a presigned GET to a file. */
  async download(url: string, path: string): Promise<number> {
    const res = await fetch(url);
    if (!res.ok || !res.body) throw new ApiCallError(res.status, 'DOWNLOAD_FAILED', `the download was refused (HTTP ${res.status})`);
    const { Readable } = await import('node:stream');
    const { pipeline } = await import('node:stream/promises');
    const { createWriteStream, statSync } = await import('node:fs');
    await pipeline(Readable.fromWeb(res.body as never), createWriteStream(path));
    return statSync(path).size;
  }

  get stateMachineArn(): string | undefined {
    return this.cfg.stateMachineArn;
  }

  async history(executionArn: string): Promise<HistoryEvent[]> {
    const sfn = new SFNClient(this.cfg.sfnEndpoint ? { endpoint: this.cfg.sfnEndpoint, region: process.env.AWS_REGION ?? 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {});
    const events: HistoryEvent[] = [];
    let token: string | undefined;
    do {
      const out: GetExecutionHistoryCommandOutput = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken: token, maxResults: 1000 }));
      events.push(...(out.events ?? []));
      token = out.nextToken;
    } while (token);
    sfn.destroy();
    return events;
  }
}

/** Nothing more happens to the job on its own (what `fzip import` waits for). */
/** The server's own rule (functions/jobs/job.ts): an expired preview is finished too. */
export function isFinishedJob(job: Job): boolean {
  return isFinished(job);
}
