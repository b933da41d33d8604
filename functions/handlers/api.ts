/** API Lambda (API Gateway HTTP API, payload 2.0 — REST API v1 events work too): thin adapter to ImportApi. */
import type { APIGatewayProxyEventV2, APIGatewayProxyEvent, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ENV } from '../shared/env-names';
import { ImportApi } from '../api/import-api';
import { HttpRequest } from '../api/http';
import { cognitoVerifier, jwksVerifier } from '../auth/token-verifier';
import { exportStoreFromEnv, jobStoreFromEnv, packageStoreFromEnv, eventPublisherFromEnv, analyticsStoreFromEnv } from '../shared/stores';
import { SfnExportStarter, SfnWorkflowStarter } from '../jobs/workflow-starter';
import { ExportApi } from '../api/export-api';
import { DEFAULT_CURSOR_KEY } from '../api/cursor';
import { webConfigFromEnv } from '../api/web-page';
import { AnalyticsApi } from '../api/analytics-api';
import { authConfig, jobsConfig, stateMachineArn } from '../shared/config';
import { s3Client, sfnClient } from '../shared/aws-clients';
import { Logger } from '../shared/logger';

export function toHttpRequest(event: APIGatewayProxyEventV2 | APIGatewayProxyEvent): HttpRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = v ?? undefined;
  const v2 = 'requestContext' in event && 'http' in (event.requestContext as object);
  const method = v2 ? (event as APIGatewayProxyEventV2).requestContext.http.method : (event as APIGatewayProxyEvent).httpMethod;
  let path = v2 ? (event as APIGatewayProxyEventV2).rawPath : (event as APIGatewayProxyEvent).path;
  const stage = (event.requestContext as { stage?: string }).stage;
  if (stage && stage !== '$default' && path.startsWith(`/${stage}/`)) path = path.slice(stage.length + 1);
  const query: Record<string, string | undefined> = { ...(event.queryStringParameters ?? {}) };
  const body = event.body == null ? undefined : event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return { method: method.toUpperCase(), path, headers, query, body };
}

let api: ImportApi | undefined;
const apiLogger = new Logger('fzip-api');
function build(): ImportApi {
  const cfg = jobsConfig();
  const auth = authConfig();
  // Cursors are safe without a secret (see api/cursor.ts); CURSOR_SECRET makes them tamper-evident too.
  const cursorSecret = process.env.CURSOR_SECRET || DEFAULT_CURSOR_KEY;
  const exportMachine = process.env[ENV.exportStateMachineArn];
  const exports = exportMachine
    ? new ExportApi({
        exports: exportStoreFromEnv(),
        packages: packageStoreFromEnv(),
        s3: s3Client(),
        starter: new SfnExportStarter(sfnClient(), exportMachine),
        cursorSecret,
      })
    : undefined;
  const analyticsStore = analyticsStoreFromEnv();
  return new ImportApi({
    jobs: jobStoreFromEnv(),
    s3: s3Client(),
    packages: packageStoreFromEnv(),
    workflow: new SfnWorkflowStarter(sfnClient(), stateMachineArn()),
    verifier: auth.mode === 'cognito' ? cognitoVerifier(auth) : jwksVerifier(auth),
    logger: apiLogger,
    maxPackageBytes: cfg.maxPackageBytes,
    events: eventPublisherFromEnv(),
    uploadUrlExpiresSeconds: cfg.uploadUrlExpiresSeconds,
    cursorSecret,
    exports,
    analytics: analyticsStore ? new AnalyticsApi({ analytics: analyticsStore, events: eventPublisherFromEnv() }) : undefined,
    web: { ...webConfigFromEnv(), maxPackageBytes: cfg.maxPackageBytes },
  });
}

export async function handler(event: APIGatewayProxyEventV2 | APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyStructuredResultV2> {
  apiLogger.withLambdaContext(context);
  api ??= build();
  const res = await api.handle(toHttpRequest(event));
  return { statusCode: res.statusCode, headers: res.headers, body: res.body };
}
