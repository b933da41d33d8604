/**
 * The import workflow on this machine: dynalite and s3rver on free loopback ports, the real
 * statemachine/import.asl.json run by aws-local-stepfunctions, its Task states calling the
 * workflow core exactly as the Lambda handlers do.
 */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { JobStore } from '../../functions/jobs/job-store';
import { PackageStore, packageKey } from '../../functions/jobs/package-store';
import { startImport } from '../../functions/jobs/import-queue';
import { reconcileExecution } from '../../functions/jobs/reconcile';
import { ImportEvent, ImportEventPublisher } from '../../functions/jobs/import-events';
import { ImportJob, MergeStrategy } from '../../functions/jobs/job';
import { ImportFilter } from '../../functions/jobs/import-filter';
import { EntityStore } from '../../functions/entities/entity-store';
import { EntityTableNames } from '../../functions/entities/entity-tables';
import { WorkflowDeps } from '../../functions/workflow/context';
import { WORKFLOW_STEPS, WORKFLOW_SUBSTITUTIONS } from '../../functions/workflow/steps';
import { Logger } from '../../functions/shared/logger';
import { LocalServers, startLocalServers } from '../../local/servers';
import { entityTableDefinitions, jobTableDefinition } from '../../local/tables';
import { LocalStateMachine, TaskFunctions } from '../../local/state-machine';
import { EntityKind } from '../../functions/fzip/entities';
import { ImportApi } from '../../functions/api/import-api';
import { jwksVerifier } from '../../functions/auth/token-verifier';
import { LocalTokenIssuer } from '../../local/token-issuer';

export const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:fzip-import';

export function workflowFunctions(deps: () => WorkflowDeps): TaskFunctions {
  return Object.fromEntries(WORKFLOW_SUBSTITUTIONS.map((sub) => [sub, (p: unknown) => WORKFLOW_STEPS[sub].run(p as never, deps())]));
}

/** The REST API core over the harness (its jobs, packages, state machine and events), tokens from `issuer`. */
export function harnessApi(h: WorkflowHarness, issuer: LocalTokenIssuer): ImportApi {
  return new ImportApi({
    jobs: h.jobs,
    s3: h.servers.s3,
    packages: h.packages,
    workflow: h.machine,
    events: h.startDeps.events,
    verifier: jwksVerifier({ issuer: issuer.issuer, audience: issuer.audience, jwksUri: issuer.jwksUri, jwks: issuer.jwks }),
    logger: new Logger('t', {}, () => undefined),
    maxPackageBytes: 50 * 1024 * 1024,
    uploadUrlExpiresSeconds: 600,
    cursorSecret: 's',
  });
}

export interface JobOptions {
  mergeStrategy?: MergeStrategy;
  validateOnly?: boolean;
  packageFormat?: 'fzip' | 'json';
  requireConfirmation?: boolean;
  filter?: ImportFilter;
}

export interface WorkflowHarness {
  servers: LocalServers;
  jobs: JobStore;
  packages: PackageStore;
  entities: EntityStore;
  deps: WorkflowDeps;
  machine: LocalStateMachine;
  /** What startImport and reconcile need (the local state machine as the workflow). */
  startDeps: { jobs: JobStore; packages: PackageStore; workflow: LocalStateMachine; maxPackageBytes: number; events: ImportEventPublisher };
  /** Import-end events, as the EventBridge bus would receive them. */
  events: ImportEvent[];
  packagesBucket: string;
  filesBucket: string;
  tables: EntityTableNames;
  /** Overrides of single task functions (fault injection); cleared with resetFaults. */
  faults: Partial<TaskFunctions>;
  resetFaults(): void;
  createJob(userId: string, opts?: JobOptions): Promise<ImportJob>;
  upload(job: ImportJob, body: Buffer): Promise<void>;
  /** Creates a job, uploads the package, starts it like the S3 event does and waits for the end. */
  runImport(userId: string, body: Buffer, opts?: JobOptions): Promise<ImportJob>;
  items(kind: EntityKind, userId: string): Promise<Record<string, unknown>[]>;
  fileBytes(key: string): Promise<Buffer | undefined>;
  withDoc(doc: DynamoDBDocumentClient): void;
  stop(): Promise<void>;
}

export async function startWorkflowHarness(
  opts: { chunkSize?: number; chunkBytes?: number; executionTimeoutFor?: (name: string) => number | undefined } = {},
): Promise<WorkflowHarness> {
  const suffix = randomUUID().slice(0, 8);
  const tables: EntityTableNames = {
    accounts: `accounts-${suffix}`,
    categories: `categories-${suffix}`,
    fileMaps: `file-maps-${suffix}`,
    transactionFiles: `transaction-files-${suffix}`,
    transactions: `transactions-${suffix}`,
  };
  const jobsTable = `jobs-${suffix}`;
  const packagesBucket = 'fzip-packages';
  const filesBucket = 'fzip-files';
  const servers = await startLocalServers({
    buckets: [packagesBucket, filesBucket],
    tables: [jobTableDefinition(jobsTable), ...entityTableDefinitions(tables)],
  });
  const jobs = new JobStore(servers.doc, { tableName: jobsTable, retentionDays: 7, pendingTtlSeconds: 86400, maxUnfinishedJobsPerUser: 100 });
  const packages = new PackageStore(servers.s3, packagesBucket);
  let entities = new EntityStore(servers.doc, tables, { sleep: async () => undefined });
  const logger = new Logger('fzip-import-test', {}, () => undefined);
  let deps: WorkflowDeps = { jobs, s3: servers.s3, entities, filesBucket, logger, chunkSize: opts.chunkSize, chunkBytes: opts.chunkBytes };
  const faults: Partial<TaskFunctions> = {};
  const base = workflowFunctions(() => deps);
  const functions: TaskFunctions = {};
  for (const [name, fn] of Object.entries(base)) functions[name] = (p) => (faults[name] ?? fn)(p);
  const events: ImportEvent[] = [];
  const startDeps = {
    jobs,
    packages,
    workflow: undefined as unknown as LocalStateMachine,
    maxPackageBytes: 50 * 1024 * 1024,
    events: { publish: async (e: ImportEvent) => void events.push(e) },
  };
  // Execution ends reach the reconcile core, as the EventBridge rule delivers them in AWS.
  const machine = new LocalStateMachine({
    stateMachineArn: STATE_MACHINE_ARN,
    functions,
    retryIntervalMs: 0,
    waitMs: 20,
    executionTimeoutFor: opts.executionTimeoutFor,
    onExecutionEnd: (e) => reconcileExecution({ name: e.detail.name, status: e.detail.status, input: e.detail.input }, { ...startDeps, logger }),
  });
  startDeps.workflow = machine;

  const h: WorkflowHarness = {
    servers,
    jobs,
    packages,
    get entities() {
      return deps.entities;
    },
    get deps() {
      return deps;
    },
    machine,
    startDeps,
    events,
    packagesBucket,
    filesBucket,
    tables,
    faults,
    resetFaults() {
      for (const k of Object.keys(faults)) delete faults[k];
    },
    async createJob(userId, o = {}) {
      const importId = randomUUID();
      return jobs.create({
        importId,
        userId,
        mergeStrategy: o.mergeStrategy ?? 'fail_on_conflict',
        validateOnly: o.validateOnly ?? false,
        packageFormat: o.packageFormat ?? 'fzip',
        packageS3Key: packageKey(userId, importId),
        ...(o.requireConfirmation ? { requireConfirmation: true } : {}),
        ...(o.filter ? { filter: o.filter } : {}),
      });
    },
    async upload(job, body) {
      await servers.s3.send(new PutObjectCommand({ Bucket: packagesBucket, Key: job.packageS3Key, Body: body }));
    },
    async runImport(userId, body, o = {}) {
      const job = await h.createJob(userId, o);
      await h.upload(job, body);
      await startImport(job.importId, userId, startDeps);
      await machine.idle();
      return (await jobs.get(job.importId)) as ImportJob;
    },
    items: (kind, userId) => deps.entities.listUserItems(kind, userId),
    async fileBytes(key) {
      try {
        const out = await servers.s3.send(new GetObjectCommand({ Bucket: filesBucket, Key: key }));
        return Buffer.from(await out.Body!.transformToByteArray());
      } catch {
        return undefined;
      }
    },
    withDoc(doc) {
      entities = new EntityStore(doc, tables, { sleep: async () => undefined });
      deps = { ...deps, entities };
    },
    stop: () => servers.stop(),
  };
  return h;
}
