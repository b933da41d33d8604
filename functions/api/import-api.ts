/**
 * The REST API of import jobs, as a function of a plain HTTP request (no Lambda types here): the
 * /import routes of the registry (routes.ts): create (presigned upload), list, status, delete,
 * upload (start), cancel, undo, confirm, conflicts. It routes, parses and maps; what an action
 * may do in each status is the lifecycle's (jobs/lifecycle.ts), never decided here.
 * Every job route checks ownership; another user's job is a 404 identical to a missing one.
 */
import { randomUUID } from 'node:crypto';
import { jobSummary, jobView } from '../jobs/job-view';
import { ACTION_TARGETS, cancelRule, canConfirm, CONFIRMABLE, deleteRule, inEffect, LIFECYCLE, showsConflicts, undoRule } from '../jobs/lifecycle';
import { emptyResult, ImportJob, MERGE_STRATEGIES, MergeStrategy, PACKAGE_FORMATS, JobPackageFormat } from '../jobs/job';
import { JobStore } from '../jobs/job-store';
import { PackageStore, packageKey } from '../jobs/package-store';
import { jobEnded, launch, startImport } from '../jobs/import-queue';
import { WorkflowStarter } from '../jobs/workflow-starter';
import { AlreadyInStatusError, IllegalTransitionError, JobConflictError, JobNotFoundError, TooManyJobsError } from '../jobs/errors';
import { bearerToken, TokenVerifier, UnauthorizedError } from '../auth/token-verifier';
import { Logger, errorFields } from '../shared/logger';
import { decodeCursor, encodeCursor } from './cursor';
import { ExportApi } from './export-api';
import type { AnalyticsApi } from './analytics-api';
import { WebConfig, webResponse } from './web-page';
import { ImportEventPublisher } from '../jobs/import-events';
import { filterProblems, ImportFilter } from '../jobs/import-filter';
import { ConflictListing, StagingManifest, StagingReader } from '../entities/staging';
import { Decision, decisionsKey, writeDecisions } from '../entities/decisions';
import { ENTITY_KINDS, EntityKind } from '../fzip/entities';
import { S3Client } from '@aws-sdk/client-s3';
import { ApiError, HttpRequest, HttpResponse, json, parseJsonObject } from './http';

export interface ImportApiDeps {
  jobs: JobStore;
  /** Reads staged conflicts and writes decisions (the packages bucket). */
  s3?: S3Client;
  packages: PackageStore;
  workflow: WorkflowStarter;
  verifier: TokenVerifier;
  logger: Logger;
  maxPackageBytes: number;
  uploadUrlExpiresSeconds: number;
  /** Secret that signs pagination cursors. */
  cursorSecret: string;
  /** The /export routes (when the deployment has exports). */
  exports?: ExportApi;
  /** The analytics routes (GET /analytics, POST /analytics/rebuild), where the stack has them. */
  analytics?: AnalyticsApi;
  /** Where import-end events go. */
  events?: ImportEventPublisher;
  /** The web page served at / (no sign-in needed to load it). */
  web?: WebConfig;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A create body: room for the documented filter of 1,000 account ids (~39 bytes each). */
const MAX_BODY_BYTES = 64 * 1024;

function notFound(): ApiError {
  return new ApiError(404, 'NOT_FOUND', 'import not found');
}

interface CreateRequest {
  mergeStrategy: MergeStrategy;
  validateOnly: boolean;
  packageFormat: JobPackageFormat;
  requireConfirmation?: boolean;
  filter?: ImportFilter;
  packageName?: string;
}

export function parseCreateBody(body: string | undefined): CreateRequest {
  if (body !== undefined && Buffer.byteLength(body) > MAX_BODY_BYTES) {
    throw new ApiError(413, 'PAYLOAD_TOO_LARGE', `the request body is larger than ${MAX_BODY_BYTES} bytes`);
  }
  let value: unknown = {};
  if (body !== undefined && body.trim() !== '') {
    try {
      value = JSON.parse(body);
    } catch {
      throw new ApiError(400, 'INVALID_BODY', 'the request body is not valid JSON');
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError(400, 'INVALID_BODY', 'the request body must be a JSON object');
  }
  const v = value as Record<string, unknown>;
  const details: Array<{ field: string; message: string }> = [];
  for (const k of Object.keys(v)) {
    if (!['mergeStrategy', 'validateOnly', 'packageFormat', 'requireConfirmation', 'filter', 'packageName'].includes(k)) details.push({ field: k, message: 'is not a known field' });
  }
  if (v.mergeStrategy !== undefined && !MERGE_STRATEGIES.includes(v.mergeStrategy as MergeStrategy)) {
    details.push({ field: 'mergeStrategy', message: `must be one of ${MERGE_STRATEGIES.join(', ')}` });
  }
  if (v.validateOnly !== undefined && typeof v.validateOnly !== 'boolean') {
    details.push({ field: 'validateOnly', message: 'must be true or false' });
  }
  if (v.packageFormat !== undefined && !PACKAGE_FORMATS.includes(v.packageFormat as JobPackageFormat)) {
    details.push({ field: 'packageFormat', message: `must be one of ${PACKAGE_FORMATS.join(', ')}` });
  }
  if (v.requireConfirmation !== undefined && typeof v.requireConfirmation !== 'boolean') {
    details.push({ field: 'requireConfirmation', message: 'must be true or false' });
  }
  if (v.filter !== undefined) details.push(...filterProblems(v.filter));
  if (v.packageName !== undefined && (typeof v.packageName !== 'string' || v.packageName.length < 1 || v.packageName.length > MAX_PACKAGE_NAME || [...v.packageName].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))) {
    details.push({ field: 'packageName', message: `must be a file name of 1 to ${MAX_PACKAGE_NAME} characters without control characters` });
  }
  if (details.length) {
    throw new ApiError(400, 'INVALID_REQUEST', details.map((d) => `${d.field} ${d.message}`).join('; '), details);
  }
  return {
    mergeStrategy: (v.mergeStrategy as MergeStrategy | undefined) ?? 'fail_on_conflict',
    validateOnly: (v.validateOnly as boolean | undefined) ?? false,
    packageFormat: (v.packageFormat as JobPackageFormat | undefined) ?? 'fzip',
    ...(v.requireConfirmation === true ? { requireConfirmation: true } : {}),
    ...(v.filter !== undefined ? { filter: v.filter as ImportFilter } : {}),
    ...(typeof v.packageName === 'string' ? { packageName: v.packageName } : {}),
  };
}

/** Longest package file name a job keeps (for the list). */
export const MAX_PACKAGE_NAME = 255;

/**
 * A confirm body: room for the documented 50,000 decisions (~80 bytes each, compact), within
 * the 6 MB a Lambda invocation's payload may carry.
 */
const MAX_CONFIRM_BODY_BYTES = 4.5 * 1024 * 1024;

function parseConfirmBody(body: string | undefined): { mergeStrategy?: MergeStrategy; decisions?: Decision[] } {
  const o = parseJsonObject(body, MAX_CONFIRM_BODY_BYTES);
  if (!o) return {};
  const details: Array<{ field: string; message: string }> = [];
  for (const k of Object.keys(o)) if (k !== 'mergeStrategy' && k !== 'decisions') details.push({ field: k, message: 'is not a known field' });
  if (o.mergeStrategy !== undefined && !MERGE_STRATEGIES.includes(o.mergeStrategy as MergeStrategy)) {
    details.push({ field: 'mergeStrategy', message: `must be one of ${MERGE_STRATEGIES.join(', ')}` });
  }
  if (o.decisions !== undefined) {
    if (!Array.isArray(o.decisions) || o.decisions.length > 50_000) details.push({ field: 'decisions', message: 'must be a list of at most 50000 decisions' });
    else
      o.decisions.forEach((d, i) => {
        const x = d as Record<string, unknown>;
        if (!x || typeof x !== 'object') return void details.push({ field: `decisions[${i}]`, message: 'must be an object {kind, id, action}' });
        if (!ENTITY_KINDS.includes(x.kind as EntityKind)) details.push({ field: `decisions[${i}].kind`, message: `must be one of ${ENTITY_KINDS.join(', ')}` });
        if (typeof x.id !== 'string' || !x.id || x.id.length > 200) details.push({ field: `decisions[${i}].id`, message: 'must be a record id' });
        if (x.action !== 'overwrite' && x.action !== 'skip') details.push({ field: `decisions[${i}].action`, message: 'must be overwrite or skip' });
        for (const k of Object.keys(x)) if (!['kind', 'id', 'action'].includes(k)) details.push({ field: `decisions[${i}].${k}`, message: 'is not a known field' });
      });
  }
  if (details.length) throw new ApiError(400, 'INVALID_REQUEST', details.slice(0, 20).map((d) => `${d.field} ${d.message}`).join('; '), details.slice(0, 100));
  return { mergeStrategy: o.mergeStrategy as MergeStrategy | undefined, decisions: o.decisions as Decision[] | undefined };
}

function parseUndoBody(body: string | undefined): boolean {
  const o = parseJsonObject(body, MAX_BODY_BYTES);
  if (!o) return false;
  const details = Object.keys(o)
    .filter((k) => k !== 'force')
    .map((k) => ({ field: k, message: 'is not a known field' }));
  if (o.force !== undefined && typeof o.force !== 'boolean') details.push({ field: 'force', message: 'must be true or false' });
  if (details.length) throw new ApiError(400, 'INVALID_REQUEST', details.map((d) => `${d.field} ${d.message}`).join('; '), details);
  return o.force === true;
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return 20;
  if (!/^[0-9]{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > 100) {
    throw new ApiError(400, 'INVALID_REQUEST', 'limit must be a whole number from 1 to 100', [{ field: 'limit', message: 'must be 1 to 100' }]);
  }
  return Number(raw);
}

export class ImportApi {
  constructor(private readonly deps: ImportApiDeps) {}

  async handle(req: HttpRequest): Promise<HttpResponse> {
    const page = this.deps.web ? webResponse(req, this.deps.web) : undefined;
    if (page) return page;
    const requestLog = this.deps.logger.child({ method: req.method, path: req.path });
    try {
      const caller = await this.deps.verifier.verify(bearerToken(req.headers['authorization']));
      return await this.route(req, caller.userId, requestLog.child({ userId: caller.userId }));
    } catch (err) {
      return this.failure(err, requestLog);
    }
  }

  private async route(req: HttpRequest, userId: string, log: Logger): Promise<HttpResponse> {
    const parts = req.path.replace(/\/+$/, '').split('/').filter(Boolean);
    if (parts[0] === 'export' && this.deps.exports) return this.deps.exports.route(req, parts, userId, log);
    if (parts[0] === 'analytics' && this.deps.analytics) return this.deps.analytics.route(req, parts, userId, log);
    if (parts[0] !== 'import') throw new ApiError(404, 'NOT_FOUND', 'no such route');
    if (parts.length === 1) {
      if (req.method === 'POST') return this.create(req, userId, log);
      if (req.method === 'GET') return this.list(req, userId);
      throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on /import`);
    }
    const importId = parts[1];
    if (!UUID_RE.test(importId)) throw notFound();
    const tail = parts.slice(2).join('/');
    if (tail === '' && req.method === 'DELETE') return this.remove(importId, userId, req.query.force, log);
    if (tail === 'status' && req.method === 'GET') return this.status(importId, userId);
    if (tail === 'upload' && req.method === 'POST') return this.upload(importId, userId, log);
    if (tail === 'cancel' && req.method === 'POST') return this.cancel(importId, userId, log);
    if (tail === 'undo' && req.method === 'POST') return this.undo(importId, userId, req.body, log);
    if (tail === 'confirm' && req.method === 'POST') return this.confirm(importId, userId, req.body, log);
    if (tail === 'conflicts' && req.method === 'GET') return this.conflicts(importId, userId, req);
    throw new ApiError(404, 'NOT_FOUND', 'no such route');
  }

  private async create(req: HttpRequest, userId: string, log: Logger): Promise<HttpResponse> {
    const body = parseCreateBody(req.body);
    const importId = randomUUID();
    const key = packageKey(userId, importId);
    const job = await this.deps.jobs.create({ importId, userId, ...body, packageS3Key: key });
    const upload = await this.deps.packages.presignUpload(key, this.deps.maxPackageBytes, this.deps.uploadUrlExpiresSeconds);
    log.info('import created', { importId, mergeStrategy: body.mergeStrategy, validateOnly: body.validateOnly });
    return json(201, {
      importId: job.importId,
      status: job.status,
      message: 'Upload the package with the presigned POST form (uploadUrl), then processing starts.',
      packageFormat: job.packageFormat,
      uploadUrl: { url: upload.url, fields: upload.fields },
      expiresIn: upload.expiresIn,
    });
  }

  private async list(req: HttpRequest, userId: string): Promise<HttpResponse> {
    const limit = parseLimit(req.query.limit);
    const cursor = req.query.lastEvaluatedKey;
    const start = cursor ? decodeCursor('imports', cursor, userId, this.deps.cursorSecret, 'lastEvaluatedKey') : undefined;
    const page = await this.deps.jobs.listByUser(userId, limit, start);
    return json(200, {
      importJobs: page.jobs.map(jobSummary),
      nextEvaluatedKey: page.next ? encodeCursor('imports', page.next, userId, this.deps.cursorSecret) : null,
    });
  }

  private async status(importId: string, userId: string): Promise<HttpResponse> {
    const job = await this.deps.jobs.getOwned(importId, userId);
    return json(200, jobView(job));
  }

  private async remove(importId: string, userId: string, force: string | undefined, log: Logger): Promise<HttpResponse> {
    if (force !== undefined && force !== 'true' && force !== 'false') {
      throw new ApiError(400, 'INVALID_REQUEST', 'force must be true or false', [{ field: 'force', message: 'must be true or false' }]);
    }
    const job = await this.deps.jobs.getOwned(importId, userId);
    const rule = deleteRule(job, force === 'true');
    if (rule === 'running') {
      throw new ApiError(409, 'IMPORT_RUNNING', `import ${importId} is ${job.status}; it can be deleted once it has finished`);
    }
    if (rule === 'undo_available') {
      // Its journal is the only way back to the user's data as it was: deleting the job deletes it.
      throw new ApiError(
        409,
        'UNDO_AVAILABLE',
        `import ${importId} failed and could not be rolled back: undo it first (POST /import/${importId}/undo); deleting it now (force=true) keeps what it wrote and loses the way back`,
      );
    }
    // The item first (conditional: never while running), then its objects: a rollback or undo
    // can never find its journal gone. Objects left by a failed delete expire by lifecycle rule.
    await this.deps.jobs.deleteUnlessRunning(importId);
    const removed = await this.deps.packages.deleteImportObjects(job.packageS3Key, importId);
    await jobEnded({ importId, userId }, this.queueDeps());
    log.info('import deleted', { importId, objectsRemoved: removed });
    return { statusCode: 204, headers: {}, body: '' };
  }

  /** What the import queue needs to start, queue and end jobs. */
  private queueDeps() {
    return { jobs: this.deps.jobs, packages: this.deps.packages, workflow: this.deps.workflow, maxPackageBytes: this.deps.maxPackageBytes, events: this.deps.events };
  }

  private async upload(importId: string, userId: string, log: Logger): Promise<HttpResponse> {
    const result = await startImport(importId, userId, this.queueDeps());
    if (result.outcome === 'in_line') {
      log.info('import queued', { importId });
      return json(202, {
        message: 'Another import of yours is running; this one is queued and starts when it ends.',
        importId,
        status: result.job.status,
        packageFormat: result.job.packageFormat,
      });
    }
    if (result.outcome === 'already_started') {
      throw new ApiError(409, 'ALREADY_STARTED', `import ${importId} is already ${result.job.status}`);
    }
    if (result.outcome === 'rejected_too_large') {
      throw new ApiError(413, 'PACKAGE_TOO_LARGE', result.job.errorMessage ?? 'the package is too large');
    }
    log.info('import started', { importId, executionArn: result.job.executionArn });
    return json(202, {
      message: 'Processing started.',
      importId,
      status: result.job.status,
      packageFormat: result.job.packageFormat,
    });
  }

  private async cancel(importId: string, userId: string, log: Logger): Promise<HttpResponse> {
    const job = await this.deps.jobs.getOwned(importId, userId);
    const answer = (j: ImportJob, message: string) =>
      json(rule === 'at_once' ? 200 : 202, { importId, status: j.status, message });
    const rule = cancelRule(job);
    if (rule === 'at_once') {
      // Nothing has been written: the job just ends.
      const to = ACTION_TARGETS.cancelAtOnce;
      const done = await this.deps.jobs.transition(importId, to, { cancelRequested: true, rolledBack: true, currentPhase: to, errorMessage: 'canceled by the user' });
      try {
        await jobEnded(done, this.queueDeps());
      } catch (err) {
        // The job is canceled; what failed (the end event, the next queued start) the cleanup redoes.
        log.warn('canceled, but the end of the job was not fully handled; the cleanup finishes it', errorFields(err));
      }
      log.info('import canceled', { importId, before: job.status });
      return answer(done, 'Canceled before anything was written.');
    }
    if (rule === 'already') return answer(job, 'Already canceling: the import is being rolled back.');
    if (rule === 'request') {
      const to = ACTION_TARGETS.cancelRequest;
      const next = await this.deps.jobs.transition(importId, to, { cancelRequested: true, currentPhase: to });
      log.info('cancel requested', { importId, before: job.status });
      return answer(next, 'Canceling: the workflow stops at its next step and rolls back everything it wrote; the job ends canceled.');
    }
    throw new ApiError(409, 'NOT_CANCELABLE', `import ${importId} is ${job.status}; only an import that has not finished can be canceled`);
  }

  /** The staged data of a previewed import (the conflicts endpoint reads it). */
  private staging(importId: string): StagingReader {
    return new StagingReader(this.deps.s3 as S3Client, this.deps.packages.bucket, importId);
  }

  /** The staging manifest of a validated import; 409 when its staged data is gone. */
  private async stagedManifest(importId: string): Promise<StagingManifest> {
    try {
      return await this.staging(importId).manifest();
    } catch {
      throw new ApiError(409, 'NOT_VALIDATED', `the staged data of import ${importId} is gone`);
    }
  }

  /**
   * GET /import/{id}/conflicts?kind=&limit=&cursor=: the conflicts of a validated import with
   * their field-level differences, paged through the staged conflict chunks (any number).
   */
  private async conflicts(importId: string, userId: string, req: HttpRequest): Promise<HttpResponse> {
    const job = await this.deps.jobs.getOwned(importId, userId);
    const kind = req.query.kind;
    if (kind !== undefined && !ENTITY_KINDS.includes(kind as EntityKind)) {
      throw new ApiError(400, 'INVALID_REQUEST', `kind must be one of ${ENTITY_KINDS.join(', ')}`, [{ field: 'kind', message: 'is not an entity kind' }]);
    }
    const limit = parseLimit(req.query.limit);
    if (!showsConflicts(job)) {
      throw new ApiError(409, 'NOT_VALIDATED', `import ${importId} is ${job.status}; conflicts are known once it has been validated`);
    }
    // where a page starts: the kind (its index), the conflict chunk (its index) and the offset in it
    let pos = { kindIndex: 0, chunkIndex: 0, offset: 0 };
    if (req.query.cursor) {
      const decoded = decodeCursor('conflicts', req.query.cursor, userId, this.deps.cursorSecret, 'cursor') as Partial<Record<'kindIndex' | 'chunkIndex' | 'offset' | 'importId' | 'kind', unknown>>;
      if (decoded.importId !== importId || (decoded.kind ?? null) !== (kind ?? null)) {
        throw new ApiError(400, 'INVALID_CURSOR', 'cursor is not a cursor from a previous page of this list', [{ field: 'cursor', message: 'is not valid' }]);
      }
      pos = { kindIndex: Number(decoded.kindIndex), chunkIndex: Number(decoded.chunkIndex), offset: Number(decoded.offset) };
    }
    const manifest = await this.stagedManifest(importId);
    const kinds = kind ? [kind as EntityKind] : [...ENTITY_KINDS];
    const out: ConflictListing[] = [];
    let next: typeof pos | undefined;
    for (let k = pos.kindIndex; k < kinds.length && !next; k++) {
      const chunks = manifest.conflictChunks?.[kinds[k]] ?? [];
      for (let c = k === pos.kindIndex ? pos.chunkIndex : 0; c < chunks.length && !next; c++) {
        const listed = await this.staging(importId).conflictChunk(kinds[k], chunks[c][0]);
        let o = k === pos.kindIndex && c === pos.chunkIndex ? pos.offset : 0;
        for (; o < listed.length; o++) {
          if (out.length === limit) {
            next = { kindIndex: k, chunkIndex: c, offset: o };
            break;
          }
          out.push(listed[o]);
        }
      }
    }
    const total = kinds.reduce((a, k) => a + (manifest.plan[k].conflicts ?? 0) + (manifest.plan[k].delete ?? 0), 0);
    return json(200, {
      importId,
      total,
      conflicts: out,
      cursor: next ? encodeCursor('conflicts', { ...next, importId, kind: kind ?? null, userId }, userId, this.deps.cursorSecret) : null,
    });
  }

  /**
   * POST /import/{id}/confirm {mergeStrategy?, decisions?}: a previewed import runs. Decisions
   * override the strategy for their ids; with fail_on_conflict every conflict needs a decision.
   */
  private async confirm(importId: string, userId: string, body: string | undefined, log: Logger): Promise<HttpResponse> {
    const request = parseConfirmBody(body);
    const job = await this.deps.jobs.getOwned(importId, userId);
    if (!canConfirm(job)) {
      throw new ApiError(409, 'NOT_AWAITING_CONFIRMATION', `import ${importId} is ${job.status}; only an import awaiting confirmation can be confirmed`);
    }
    const strategy = request.mergeStrategy ?? job.mergeStrategy;
    if (strategy === 'replace' && job.mergeStrategy !== 'replace') {
      // what replace deletes is planned at validation: it is chosen when the import is created
      throw new ApiError(400, 'INVALID_REQUEST', 'mergeStrategy replace must be chosen when the import is created (what it deletes is planned during validation)', [
        { field: 'mergeStrategy', message: 'replace is only possible for an import created with it' },
      ]);
    }
    const manifest = await this.stagedManifest(importId);
    const decisions = request.decisions ?? [];
    await this.checkDecisions(importId, manifest, decisions);
    if (strategy === 'fail_on_conflict') {
      const conflicts = ENTITY_KINDS.reduce((a, k) => a + (manifest.plan[k].conflicts ?? 0), 0);
      if (conflicts > decisions.length) {
        throw new ApiError(409, 'UNDECIDED_CONFLICTS', `${conflicts - decisions.length} conflict(s) have no decision; with mergeStrategy fail_on_conflict decide each (overwrite or skip) or choose overwrite / skip_existing`);
      }
    }
    if (!(await this.deps.jobs.users.acquireLock(userId, importId))) {
      throw new ApiError(409, 'IMPORT_RUNNING', 'another import of yours is running; confirm this one when it has finished');
    }
    let started: ImportJob;
    try {
      // This request's decisions in an object of its own; the job names it only if this confirm wins.
      const key = decisionsKey(importId, randomUUID());
      if (decisions.length) await writeDecisions(this.deps.s3 as S3Client, this.deps.packages.bucket, key, decisions);
      const processing = await this.deps.jobs.transition(
        importId,
        ACTION_TARGETS.confirm,
        {
          mergeStrategy: strategy,
          importResults: Object.fromEntries(ENTITY_KINDS.map((k) => [k, emptyResult()])),
          currentPhase: 'starting_import',
          ...(decisions.length ? { decisionsKey: key } : {}),
        },
        { expected: CONFIRMABLE, exclusive: true },
      );
      started = await launch(processing, 'confirm', this.queueDeps());
    } catch (err) {
      if (err instanceof AlreadyInStatusError) {
        // Another confirm of this import won the race: it holds the lock and its decisions apply.
        throw new ApiError(409, 'NOT_AWAITING_CONFIRMATION', `import ${importId} was already confirmed by another request; that request's decisions apply`);
      }
      await this.deps.jobs.users.releaseLock(userId, importId);
      throw err;
    }
    log.info('import confirmed', { importId, mergeStrategy: strategy, decisions: decisions.length });
    return json(202, { importId, status: started.status, message: 'Confirmed: the import runs.' });
  }

  /**
   * Each decision names a distinct record that is one of this import's conflicts (a record that
   * differs from the user's): anything else is refused, not silently ignored.
   */
  private async checkDecisions(importId: string, manifest: StagingManifest, decisions: Decision[]): Promise<void> {
    const details: Array<{ field: string; message: string }> = [];
    const pending = new Map<string, number>();
    const perKind = new Map<EntityKind, number>();
    decisions.forEach((d, i) => {
      const k = `${d.kind}#${d.id}`;
      const first = pending.get(k);
      if (first !== undefined) details.push({ field: `decisions[${i}]`, message: `decides ${d.kind} ${d.id} again (first in decisions[${first}])` });
      else {
        pending.set(k, i);
        perKind.set(d.kind, (perKind.get(d.kind) ?? 0) + 1);
      }
    });
    if (!details.length) {
      const staging = this.staging(importId);
      for (const kind of ENTITY_KINDS) {
        for (const [n] of manifest.conflictChunks?.[kind] ?? []) {
          if (!perKind.get(kind)) break;
          for (const c of await staging.conflictChunk(kind, n)) {
            if (pending.delete(`${kind}#${c.id}`)) perKind.set(kind, (perKind.get(kind) ?? 1) - 1);
          }
        }
      }
      for (const [k, i] of pending) {
        details.push({ field: `decisions[${i}].id`, message: `${k.replace('#', ' ')} is not one of this import's conflicts (only records that differ from yours can be decided)` });
      }
    }
    if (details.length) {
      throw new ApiError(400, 'INVALID_REQUEST', details.slice(0, 20).map((d) => `${d.field} ${d.message}`).join('; '), details.slice(0, 100));
    }
  }

  /** Items of this import that later imports (still in effect) replaced, from their journals' counts. */
  private async changedSince(job: ImportJob): Promise<number> {
    let total = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.deps.jobs.listByUser(job.userId, 100, start);
      for (const other of page.jobs) {
        if (other.importId === job.importId) continue;
        if (inEffect(other)) total += other.overwrote?.[job.importId] ?? 0;
      }
      start = page.next;
    } while (start);
    return total;
  }

  private async undo(importId: string, userId: string, body: string | undefined, log: Logger): Promise<HttpResponse> {
    const force = parseUndoBody(body);
    const job = await this.deps.jobs.getOwned(importId, userId);
    const rule = undoRule(job);
    if (rule === 'already') return json(202, { importId, status: job.status, message: 'Already undoing.' });
    if (rule === 'refused') {
      throw new ApiError(409, 'NOT_UNDOABLE', `import ${importId} is ${job.status}${LIFECYCLE[job.status].undo === 'if_not_rolled_back' ? ' and already rolled back' : ''}; only a completed import (or a failed one that could not be rolled back) can be undone`);
    }
    // The lock first: no import of the user can change items while we count and undo.
    if (!(await this.deps.jobs.users.acquireLock(userId, importId))) {
      throw new ApiError(409, 'IMPORT_RUNNING', 'another import of yours is running; undo this one when it has finished');
    }
    const changed = await this.changedSince(job);
    if (changed > 0 && !force) {
      await this.deps.jobs.users.releaseLock(userId, importId);
      throw new ApiError(
        409,
        'UNDO_CONFLICT',
        `${changed} item(s) of this import were changed by a later import since; undo with {"force": true} to undo the rest and leave those as they are`,
        [{ field: 'force', message: `${changed} item(s) changed since` }],
      );
    }
    let undoing: ImportJob;
    try {
      undoing = await this.deps.jobs.transition(importId, ACTION_TARGETS.undo, {
        rollbackReason: 'undo',
        undoForce: force,
        rollbackCursor: '0|',
        rollbackResults: { restored: 0, deleted: 0, changedSince: 0 },
        rollbackParts: 0,
        progress: 0, // the rollback's own progress from here
        rollbackAttempts: 0,
        currentPhase: ACTION_TARGETS.undo,
      }, { expected: job.status, exclusive: true });
    } catch (err) {
      // A concurrent undo request started it: that one holds the lock and runs the undo.
      if (err instanceof AlreadyInStatusError) return json(202, { importId, status: ACTION_TARGETS.undo, message: 'Already undoing.' });
      await this.deps.jobs.users.releaseLock(userId, importId);
      throw err;
    }
    const started = await launch(undoing, 'undo', this.queueDeps());
    log.info('undo started', { importId, force, changedSince: changed });
    return json(202, { importId, status: started.status, message: 'Undoing: everything this import wrote is being put back as it was.', changedSince: changed });
  }

  private failure(err: unknown, log: Logger): HttpResponse {
    if (err instanceof ApiError) return json(err.status, { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } });
    if (err instanceof UnauthorizedError) {
      log.info('request refused', { reason: err.reason }); // the reason stays in our logs only
      return json(401, { error: { code: 'UNAUTHORIZED', message: err.message } });
    }
    if (err instanceof JobNotFoundError) return this.failure(notFound(), log);
    if (err instanceof TooManyJobsError) return json(429, { error: { code: err.what === 'exports' ? 'TOO_MANY_EXPORTS' : 'TOO_MANY_IMPORTS', message: err.message } });
    if (err instanceof IllegalTransitionError || err instanceof JobConflictError) {
      return json(409, { error: { code: 'CONFLICT', message: err.message } });
    }
    log.error('request failed', errorFields(err));
    return json(500, { error: { code: 'INTERNAL_ERROR', message: 'the request could not be completed; try again later' } });
  }
}
