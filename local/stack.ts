/**
 * The whole system on one machine, on loopback only: dynalite (DynamoDB), s3rver (S3, whose
 * ObjectCreated events feed the starter Lambda), a Step Functions endpoint running
 * statemachine/import.asl.json, the REST API translating HTTP to API Gateway events, a local
 * token issuer, and the cleanup job on an interval. Every Lambda is the same handler module
 * that AWS runs, configured by environment variables; the SDK clients only get endpoints.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { ENV, resourceEnvironment } from '../functions/shared/env-names';
import { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, S3Event } from 'aws-lambda';
import { LOCAL_AWS, LocalServers, startLocalServers } from './servers';
import { entityTableDefinition, entityTableDefinitions, exportTableDefinition, jobTableDefinition } from './tables';
import { EXPORT_ASL_PATH, LocalStateMachine, TaskFunction, TaskFunctions } from './state-machine';
import { EXPORT_STEPS, EXPORT_SUBSTITUTIONS, WORKFLOW_STEPS, WORKFLOW_SUBSTITUTIONS } from '../functions/workflow/steps';
import { startSfnEndpoint } from './sfn-endpoint';
import { entityTableNames } from '../functions/fzip/entities';
import { LocalEventBus, startLocalEventBus } from './event-bus';
import { LOCAL_AUDIENCE, LOCAL_ISSUER, loadIssuer, LocalTokenIssuer } from './token-issuer';

export { loadIssuer };

export const LOCAL_NAMES = {
  jobsTable: 'fzip-jobs',
  eventBus: 'fzip-import-events',
  exportsTable: 'fzip-exports',
  analyticsTable: 'fzip-analytics',
  packagesBucket: 'fzip-packages',
  filesBucket: 'fzip-files',
  entityTables: entityTableNames('fzip-'),
  stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:fzip-import',
  exportStateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:fzip-export',
  issuer: LOCAL_ISSUER,
  audience: LOCAL_AUDIENCE,
};

export interface LocalStackOptions {
  /** Folder for data that survives a restart (jobs, objects, the issuer's key); none: in memory. */
  dataDir?: string;
  apiPort?: number;
  sfnPort?: number;
  dynamoPort?: number;
  s3Port?: number;
  /** Seconds between cleanup runs (0: no cleanup timer). */
  cleanupIntervalSeconds?: number;
  log?: (line: string) => void;
}

export interface LocalStack {
  apiUrl: string;
  sfnEndpoint: string;
  dynamoEndpoint: string;
  s3Endpoint: string;
  issuer: LocalTokenIssuer;
  machine: LocalStateMachine;
  exportMachine: LocalStateMachine;
  /** The EventBridge stand-in: import-end events as the handlers put them. */
  eventBus: LocalEventBus;
  servers: LocalServers;
  stop(): Promise<void>;
}

function toEvent(req: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
  const query: Record<string, string> = {};
  url.searchParams.forEach((v, k) => {
    query[k] = v;
  });
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    requestContext: {
      http: { method: req.method ?? 'GET', path: url.pathname, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      stage: '$default',
    } as APIGatewayProxyEventV2['requestContext'],
    body: body.length ? body.toString('base64') : undefined,
    isBase64Encoded: body.length > 0,
  } as APIGatewayProxyEventV2;
}

export async function startLocalStack(opts: LocalStackOptions = {}): Promise<LocalStack> {
  const log = opts.log ?? (() => undefined);
  const dataDir = opts.dataDir;
  if (dataDir) mkdirSync(join(dataDir, 's3'), { recursive: true });
  const servers = await startLocalServers({
    buckets: [LOCAL_NAMES.packagesBucket, LOCAL_NAMES.filesBucket],
    tables: [
      jobTableDefinition(LOCAL_NAMES.jobsTable),
      exportTableDefinition(LOCAL_NAMES.exportsTable),
      ...entityTableDefinitions(LOCAL_NAMES.entityTables),
      entityTableDefinition(LOCAL_NAMES.analyticsTable),
    ],
    dynamoPath: dataDir ? join(dataDir, 'dynamodb') : undefined,
    s3Directory: dataDir ? join(dataDir, 's3') : undefined,
    dynamoPort: opts.dynamoPort,
    s3Port: opts.s3Port,
  });
  const issuer = loadIssuer(dataDir);
  const eventBus = await startLocalEventBus({ file: dataDir ? join(dataDir, 'events.jsonl') : undefined });

  // The Lambdas' configuration: exactly the variables CDK sets, plus endpoints.
  Object.assign(process.env, {
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    // s3rver accepts only its own key pair; dynalite and the SFN endpoint accept any.
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: servers.dynamoEndpoint,
    AWS_ENDPOINT_URL_S3: servers.s3Endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventBus.url,
    [ENV.eventBusName]: LOCAL_NAMES.eventBus,
    S3_FORCE_PATH_STYLE: 'true',
    ...resourceEnvironment(LOCAL_NAMES),
    [ENV.stateMachineArn]: LOCAL_NAMES.stateMachineArn,
    [ENV.exportStateMachineArn]: LOCAL_NAMES.exportStateMachineArn,
    JWT_ISSUER: issuer.issuer,
    JWT_AUDIENCE: issuer.audience,
    JWT_JWKS_JSON: JSON.stringify(issuer.jwks),
    // the web page signs in with the local issuer and uploads to s3rver
    WEB_AUTH_MODE: 'local',
    WEB_CONNECT_SRC: servers.s3Endpoint,
    // only here may the cleanup treat every write lease as dead (the process that held them is gone)
    FZIP_LOCAL_STACK: '1',
  });

  // Loaded after the environment is set: the handler modules are exactly the Lambdas' code.
  const workflow = await import('../functions/handlers/workflow');
  const api = await import('../functions/handlers/api');
  const start = await import('../functions/handlers/start');
  const cleanup = await import('../functions/handlers/cleanup');

  const reconcile = await import('../functions/handlers/reconcile');
  const analytics = await import('../functions/handlers/analytics');
  // the stack's EventBridge rule: import-end events and rebuild requests -> the analytics Lambda
  eventBus.subscribe(async (event) => {
    try {
      await analytics.handler(event);
    } catch (err) {
      log(`analytics: ${(err as Error).message}`);
    }
  });
  const exportWorkflow = await import('../functions/handlers/export-workflow');

  // Each Task state runs the exported handler CDK deploys for its substitution.
  const functions: TaskFunctions = Object.fromEntries(
    WORKFLOW_SUBSTITUTIONS.map((sub) => [sub, (payload: unknown) => (workflow as unknown as Record<string, TaskFunction>)[WORKFLOW_STEPS[sub].handler](payload)]),
  );
  const machine = new LocalStateMachine({
    stateMachineArn: LOCAL_NAMES.stateMachineArn,
    functions,
    stateFile: dataDir ? join(dataDir, 'executions-import.jsonl') : undefined,
    // EventBridge's rule on execution status changes -> the reconcile Lambda
    onExecutionEnd: (event) => reconcile.handler(event).catch((err: Error) => log(`reconcile failed: ${err.message}`)),
  });
  const exportMachine = new LocalStateMachine({
    stateMachineArn: LOCAL_NAMES.exportStateMachineArn,
    aslPath: EXPORT_ASL_PATH,
    stateFile: dataDir ? join(dataDir, 'executions-export.jsonl') : undefined,
    functions: Object.fromEntries(
      EXPORT_SUBSTITUTIONS.map((sub) => [sub, (payload: unknown) => (exportWorkflow as unknown as Record<string, TaskFunction>)[EXPORT_STEPS[sub].handler](payload)]),
    ),
    onExecutionEnd: (event) => reconcile.handler(event).catch((err: Error) => log(`reconcile failed: ${err.message}`)),
  });
  const sfn = await startSfnEndpoint([machine, exportMachine], opts.sfnPort ?? 0);
  process.env.AWS_ENDPOINT_URL_SFN = sfn.url;

  // Before anything can start an import (API, S3 events). After a restart: executions the previous process left running ended ABORTED (state files).
  // Every unfinished job is reconciled now (write leases of the dead process cleared first, so a
  // rollback does not wait them out), then those ends are delivered like EventBridge would.
  if (dataDir) {
    await cleanup.handler({ afterRestart: true }).catch((err: Error) => log(`recovery failed: ${err.message}`));
    await machine.recover();
    await exportMachine.recover();
  }

  // S3 ObjectCreated on the packages bucket -> the starter Lambda (asynchronous, like S3 -> Lambda).
  servers.s3Events.on('event', (event: S3Event) => {
    const records = (event.Records ?? []).filter(
      (r) => r.s3?.bucket?.name === LOCAL_NAMES.packagesBucket && String(r.eventName).startsWith('ObjectCreated') && r.s3.object.key.startsWith('uploads/'),
    );
    if (!records.length) return;
    start.handler({ Records: records }).catch((err: Error) => log(`starter failed: ${err.message}`));
  });

  const apiServer: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/.well-known/jwks.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(issuer.jwks));
        return;
      }
      if (req.url === '/local/token' && req.method === 'POST') {
        // The page's development sign-in: a token of the local issuer for any user name. Only
        // the local stack answers this; in AWS the page signs in with Cognito.
        let user: string;
        try {
          user = String((JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { user?: unknown }).user ?? '');
        } catch {
          user = '';
        }
        if (!/^[A-Za-z0-9._@-]{1,64}$/.test(user)) {
          res.writeHead(400, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'INVALID_USER', message: 'a user name of letters, digits and ._@- (at most 64)' } }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(JSON.stringify({ token: issuer.sign(user, { ttlSeconds: 8 * 3600 }) }));
        return;
      }
      api
        .handler(toEvent(req, Buffer.concat(chunks)))
        .then((out) => {
          res.writeHead(out.statusCode ?? 200, out.headers as Record<string, string>);
          res.end(out.body ?? '');
        })
        .catch((err: Error) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { code: 'INTERNAL_ERROR', message: err.message } }));
        });
    });
  });
  await new Promise<void>((r) => apiServer.listen(opts.apiPort ?? 3000, '127.0.0.1', r));
  const apiUrl = `http://127.0.0.1:${(apiServer.address() as AddressInfo).port}`;

  const interval = opts.cleanupIntervalSeconds ?? 60;
  const timer = interval > 0 ? setInterval(() => void cleanup.handler().catch((err: Error) => log(`cleanup failed: ${err.message}`)), interval * 1000) : undefined;
  timer?.unref();

  return {
    apiUrl,
    sfnEndpoint: sfn.url,
    dynamoEndpoint: servers.dynamoEndpoint,
    s3Endpoint: servers.s3Endpoint,
    issuer,
    machine,
    exportMachine,
    eventBus,
    servers,
    async stop() {
      if (timer) clearInterval(timer);
      apiServer.closeAllConnections();
      await new Promise<void>((r) => apiServer.close(() => r()));
      await machine.idle().catch(() => undefined);
      await exportMachine.idle().catch(() => undefined);
      await sfn.stop();
      await eventBus.stop();
      await servers.stop();
    },
  };
}
