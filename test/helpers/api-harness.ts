/**
 * The API core wired to real stand-ins (dynalite, s3rver) on free loopback ports, with the
 * local token issuer. Step Functions is replaced by a recorder here: the workflow tests run
 * the real state machine.
 */
import { randomUUID } from 'node:crypto';
import { ImportApi, ImportApiDeps } from '../../functions/api/import-api';
import { HttpRequest, HttpResponse } from '../../functions/api/http';
import { jwksVerifier } from '../../functions/auth/token-verifier';
import { JobStore } from '../../functions/jobs/job-store';
import { PackageStore } from '../../functions/jobs/package-store';
import { ExecutionStatus, WorkflowInput, WorkflowStarter, executionArnOf } from '../../functions/jobs/workflow-starter';
import { Logger } from '../../functions/shared/logger';
import { LocalTokenIssuer } from '../../local/token-issuer';
import { LocalServers, startLocalServers } from '../../local/servers';
import { entityTableDefinition, exportTableDefinition, jobTableDefinition } from '../../local/tables';
import { ExportApi, ExportInputPayload, ExportStarter } from '../../functions/api/export-api';
import { AnalyticsApi } from '../../functions/api/analytics-api';
import { AnalyticsStore } from '../../functions/analytics/analytics-store';
import { ImportEvent, ImportEventPublisher } from '../../functions/jobs/import-events';
import { ExportStore } from '../../functions/jobs/export-store';

export const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:fzip-import';

export class RecordingStarter implements WorkflowStarter {
  readonly starts: Array<WorkflowInput & { name: string }> = [];
  private readonly names = new Set<string>();
  async start(name: string, input: WorkflowInput): Promise<string> {
    this.starts.push({ ...input, name });
    this.names.add(name);
    return executionArnOf(STATE_MACHINE_ARN, name);
  }
  async status(name: string): Promise<ExecutionStatus | undefined> {
    return this.names.has(name) ? 'RUNNING' : undefined;
  }
  get executions(): number {
    return this.names.size;
  }
}

export class RecordingExportStarter implements ExportStarter {
  readonly starts: Array<ExportInputPayload & { name: string }> = [];
  async start(name: string, input: ExportInputPayload): Promise<string> {
    this.starts.push({ ...input, name });
    return `arn:aws:states:us-east-1:000000000000:execution:fzip-export:${name}`;
  }
}

/** Events the API put (rebuild requests), kept for the test to look at. */
export class RecordingPublisher implements ImportEventPublisher {
  readonly events: ImportEvent[] = [];
  async publish(event: ImportEvent): Promise<void> {
    this.events.push(event);
  }
}

export interface ApiHarness {
  analytics: AnalyticsStore;
  events: RecordingPublisher;
  exports: ExportStore;
  exportStarter: RecordingExportStarter;
  servers: LocalServers;
  issuer: LocalTokenIssuer;
  jobs: JobStore;
  packages: PackageStore;
  starter: RecordingStarter;
  tableName: string;
  bucket: string;
  api(overrides?: Partial<ImportApiDeps>): ImportApi;
  call(req: Partial<HttpRequest> & { method: string; path: string }, token?: string, api?: ImportApi): Promise<HttpResponse & { json: any }>;
  stop(): Promise<void>;
}

export async function startApiHarness(opts: { maxUnfinishedJobsPerUser?: number } = {}): Promise<ApiHarness> {
  const tableName = `jobs-${randomUUID().slice(0, 8)}`;
  const bucket = 'fzip-packages';
  const exportsTable = `exports-${randomUUID().slice(0, 8)}`;
  const analyticsTable = `analytics-${randomUUID().slice(0, 8)}`;
  const tables = [jobTableDefinition(tableName), exportTableDefinition(exportsTable), entityTableDefinition(analyticsTable)];
  const servers = await startLocalServers({ buckets: [bucket], tables });
  const analytics = new AnalyticsStore(servers.doc, analyticsTable);
  const events = new RecordingPublisher();
  const exports = new ExportStore(servers.doc, { tableName: exportsTable, retentionDays: 2, maxUnfinishedPerUser: 2 });
  const exportStarter = new RecordingExportStarter();
  const issuer = new LocalTokenIssuer();
  const jobs = new JobStore(servers.doc, {
    tableName,
    retentionDays: 7,
    pendingTtlSeconds: 86400,
    maxUnfinishedJobsPerUser: opts.maxUnfinishedJobsPerUser ?? 3,
  });
  const packages = new PackageStore(servers.s3, bucket);
  const starter = new RecordingStarter();
  const baseDeps: ImportApiDeps = {
    jobs,
    s3: servers.s3,
    packages,
    workflow: starter,
    verifier: jwksVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUri: issuer.jwksUri, jwks: issuer.jwks }),
    logger: new Logger('fzip-api-test', {}, () => undefined),
    maxPackageBytes: 1024 * 1024,
    uploadUrlExpiresSeconds: 600,
    cursorSecret: 'test-secret',
    exports: new ExportApi({ exports, packages, s3: servers.s3, starter: exportStarter, cursorSecret: 'test-secret' }),
    analytics: new AnalyticsApi({ analytics, events }),
  };
  const defaultApi = new ImportApi(baseDeps);
  return {
    analytics,
    events,
    exports,
    exportStarter,
    servers,
    issuer,
    jobs,
    packages,
    starter,
    tableName,
    bucket,
    api: (overrides = {}) => new ImportApi({ ...baseDeps, ...overrides }),
    async call(req, token, api = defaultApi) {
      const res = await api.handle({
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        query: {},
        ...req,
      });
      return { ...res, json: res.body ? JSON.parse(res.body) : undefined };
    },
    stop: () => servers.stop(),
  };
}

/** Uploads bytes through a presigned POST form, as a browser would. */
export async function postForm(upload: { url: string; fields: Record<string, string> }, body: Buffer, fileName = 'package.fzip'): Promise<number> {
  const form = new FormData();
  for (const [k, v] of Object.entries(upload.fields)) form.append(k, v);
  form.append('file', new Blob([body]), fileName);
  const res = await fetch(upload.url, { method: 'POST', body: form });
  await res.arrayBuffer();
  return res.status;
}
