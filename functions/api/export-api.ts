/**
 * The export routes, as functions of a plain HTTP request (the caller is already verified):
 *   POST   /export                    start an export of the caller's data (everything, or a selection)
 *   GET    /export                    the caller's exports, newest first, paginated
 *   GET    /export/{exportId}/status  one export; once completed, a short-lived download URL
 *   DELETE /export/{exportId}         remove an export and its package
 * Another user's export is a 404 identical to a missing one.
 */
import { randomUUID } from 'node:crypto';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ExportStore } from '../jobs/export-store';
import { exportPackageKey, exportView, ExportJob } from '../jobs/export-job';
import { PackageStore } from '../jobs/package-store';
import { parseExportRequest } from '../jobs/export-selection';
import { Logger } from '../shared/logger';
import { decodeCursor, encodeCursor } from './cursor';
import { ApiError, HttpRequest, HttpResponse, json, parseJsonObject } from './http';

export interface ExportInputPayload {
  exportId: string;
  userId: string;
  bucket: string;
  packageKey: string;
}

/** Starts the export state machine; the execution is named after the export. */
export interface ExportStarter {
  start(name: string, input: ExportInputPayload): Promise<string>;
}

export interface ExportApiDeps {
  exports: ExportStore;
  packages: PackageStore;
  s3: S3Client;
  starter: ExportStarter;
  cursorSecret: string;
  /** Seconds a download URL stays valid (default 900). */
  downloadUrlExpiresSeconds?: number;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function notFound(): ApiError {
  return new ApiError(404, 'NOT_FOUND', 'export not found');
}

export class ExportApi {
  constructor(private readonly deps: ExportApiDeps) {}

  async route(req: HttpRequest, parts: string[], userId: string, log: Logger): Promise<HttpResponse> {
    if (parts.length === 1) {
      if (req.method === 'POST') return this.create(req, userId, log);
      if (req.method === 'GET') return this.list(req, userId);
      throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on /export`);
    }
    const exportId = parts[1];
    if (!UUID_RE.test(exportId)) throw notFound();
    const tail = parts.slice(2).join('/');
    const job = await this.deps.exports.get(exportId);
    if (!job || job.userId !== userId) throw notFound();
    if (tail === 'status' && req.method === 'GET') return this.status(job);
    if (tail === '' && req.method === 'DELETE') return this.remove(job, log);
    throw new ApiError(404, 'NOT_FOUND', 'no such route');
  }

  private async create(req: HttpRequest, userId: string, log: Logger): Promise<HttpResponse> {
    const body = parseJsonObject(req.body, 64 * 1024) ?? {};
    const { request, problems } = parseExportRequest(body);
    if (!request) throw new ApiError(400, 'INVALID_REQUEST', problems.map((p) => `${p.field} ${p.message}`).join('; '), problems);
    const exportId = randomUUID();
    const packageKey = exportPackageKey(userId, exportId);
    const job = await this.deps.exports.create(exportId, userId, packageKey, request);
    try {
      await this.deps.starter.start(exportId, { exportId, userId, bucket: this.deps.packages.bucket, packageKey });
      await this.deps.exports.reportProgress(exportId, 1, 'starting', { executionName: exportId });
    } catch (err) {
      await this.deps.exports.finish(exportId, 'failed', { currentPhase: 'failed', errorMessage: 'the export could not be started; try again' });
      await this.deps.exports.slots.releaseSlot(userId, exportId);
      throw err;
    }
    log.info('export started', { exportId, backupType: request.backupType });
    return json(202, { exportId, status: job.status, message: 'Exporting: poll GET /export/{exportId}/status; once completed it has a downloadUrl.' });
  }

  private async list(req: HttpRequest, userId: string): Promise<HttpResponse> {
    const raw = req.query.limit;
    if (raw !== undefined && (!/^[0-9]{1,3}$/.test(raw) || Number(raw) < 1 || Number(raw) > 100)) {
      throw new ApiError(400, 'INVALID_REQUEST', 'limit must be a whole number from 1 to 100', [{ field: 'limit', message: 'must be 1 to 100' }]);
    }
    const limit = raw === undefined ? 20 : Number(raw);
    const cursor = req.query.lastEvaluatedKey;
    const start = cursor ? decodeCursor('exports', cursor, userId, this.deps.cursorSecret, 'lastEvaluatedKey') : undefined;
    const page = await this.deps.exports.listByUser(userId, limit, start);
    return json(200, {
      exports: page.jobs.map((j) => exportView(j)),
      nextEvaluatedKey: page.next ? encodeCursor('exports', page.next, userId, this.deps.cursorSecret) : null,
    });
  }

  private async status(job: ExportJob): Promise<HttpResponse> {
    let download: { url: string; expiresIn: number } | undefined;
    if (job.status === 'completed') {
      const expiresIn = this.deps.downloadUrlExpiresSeconds ?? 900;
      const url = await getSignedUrl(
        this.deps.s3,
        new GetObjectCommand({
          Bucket: this.deps.packages.bucket,
          Key: job.packageKey,
          ResponseContentDisposition: `attachment; filename="fzip-export-${job.exportId}.fzip"`,
          ResponseContentType: 'application/zip',
        }),
        { expiresIn },
      );
      download = { url, expiresIn };
    }
    return json(200, exportView(job, download));
  }

  private async remove(job: ExportJob, log: Logger): Promise<HttpResponse> {
    if (job.status === 'processing') throw new ApiError(409, 'EXPORT_RUNNING', `export ${job.exportId} is still processing; it can be deleted once it has finished`);
    await this.deps.exports.deleteUnlessRunning(job.exportId);
    const removed = await this.deps.packages.deleteExportObjects(job.packageKey, job.exportId);
    await this.deps.exports.slots.releaseSlot(job.userId, job.exportId);
    log.info('export deleted', { exportId: job.exportId, objectsRemoved: removed });
    return { statusCode: 204, headers: {}, body: '' };
  }
}
