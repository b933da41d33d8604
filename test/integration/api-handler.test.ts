import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { startLocalServers, LocalServers } from '../../local/servers';
import { jobTableDefinition } from '../../local/tables';
import { LocalTokenIssuer } from '../../local/token-issuer';

/** The API Lambda as deployed: configured by environment only, endpoints by AWS_ENDPOINT_URL_*. */
let servers: LocalServers;
let issuer: LocalTokenIssuer;
let handler: (e: APIGatewayProxyEventV2) => Promise<{ statusCode?: number; body?: string }>;

function event(method: string, path: string, token?: string, body?: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: token ? { Authorization: `Bearer ${token}` } : {},
    requestContext: { http: { method, path }, stage: '$default' } as APIGatewayProxyEventV2['requestContext'],
    body: body === undefined ? undefined : Buffer.from(body).toString('base64'),
    isBase64Encoded: body !== undefined,
  } as APIGatewayProxyEventV2;
}

beforeAll(async () => {
  servers = await startLocalServers({ buckets: ['handler-packages'], tables: [jobTableDefinition('handler-jobs')] });
  const base = 'http://127.0.0.1/fzip-test-issuer';
  issuer = new LocalTokenIssuer(base, 'fzip-import');
  Object.assign(process.env, {
    JOBS_TABLE: 'handler-jobs',
    PACKAGES_BUCKET: 'handler-packages',
    STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:fzip-import',
    JWT_ISSUER: base,
    JWT_AUDIENCE: 'fzip-import',
    JWT_JWKS_URI: `${base}/.well-known/jwks.json`,
    JWT_JWKS_JSON: JSON.stringify(issuer.jwks),
    AWS_ENDPOINT_URL_DYNAMODB: servers.dynamoEndpoint,
    AWS_ENDPOINT_URL_S3: servers.s3Endpoint,
    S3_FORCE_PATH_STYLE: 'true',
  });
  handler = (await import('../../functions/handlers/api')).handler as typeof handler;
});

afterAll(async () => {
  await servers.stop();
});

describe('API Lambda handler', () => {
  it('serves an API Gateway v2 event end to end: token checked against the configured JWKS, job in DynamoDB, presigned URL for S3', async () => {
    const token = issuer.sign('handler-user');
    const created = await handler(event('POST', '/import', token, JSON.stringify({ validateOnly: true })));
    expect(created.statusCode).toBe(201);
    const body = JSON.parse(created.body as string);
    expect(body.uploadUrl.url).toContain(servers.s3Endpoint);
    const status = await handler(event('GET', `/import/${body.importId}/status`, token));
    expect(status.statusCode).toBe(200);
    expect(JSON.parse(status.body as string)).toMatchObject({ importId: body.importId, validateOnly: true, status: 'uploaded' });
    expect((await handler(event('GET', '/import'))).statusCode).toBe(401);
  });
});
