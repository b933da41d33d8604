/**
 * The API-compatible stand-ins, started in this process on loopback: dynalite (DynamoDB) and
 * s3rver (S3). Used by the integration tests and the local stack.
 */
import { makeS3rverDurable } from './durable-s3-store';
import { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventEmitter } from 'node:events';
import crypto from 'node:crypto';
import { CreateTableCommand, CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DOCUMENT_TRANSLATION } from '../functions/shared/aws-clients';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (opts: Record<string, unknown>) => import('node:http').Server;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver') as new (opts: Record<string, unknown>) => EventEmitter & {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
};

/**
 * s3rver encrypts ListObjectsV2 continuation tokens with single DES, which OpenSSL 3 (Node 17+)
 * no longer offers: every truncated listing failed with InternalError (a rollback of more than
 * 20 journal parts, any listing past 1,000 keys). Triple DES with the key three times is DES
 * exactly and is still offered, so 'des' is mapped to it — for s3rver, in this process only.
 */
function letS3rverPaginate(): void {
  const c = crypto as unknown as Record<string, unknown>;
  if (c.__fzipDesShim) return;
  const tripled = (key: Buffer) => Buffer.concat([key, key, key]);
  const { createCipheriv, createDecipheriv } = crypto;
  c.createCipheriv = (alg: string, key: Buffer, iv: Buffer, o?: unknown) =>
    alg === 'des' ? createCipheriv('des-ede3-cbc', tripled(key), iv) : (createCipheriv as (...a: unknown[]) => unknown)(alg, key, iv, o);
  c.createDecipheriv = (alg: string, key: Buffer, iv: Buffer, o?: unknown) =>
    alg === 'des' ? createDecipheriv('des-ede3-cbc', tripled(key), iv) : (createDecipheriv as (...a: unknown[]) => unknown)(alg, key, iv, o);
  c.__fzipDesShim = true;
}

const LOCAL_CORS = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>POST</AllowedMethod><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`;

/** Region and credentials the SDK needs; the stand-ins accept any. */
export const LOCAL_AWS = { region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } };

export interface LocalServers {
  dynamoEndpoint: string;
  s3Endpoint: string;
  dynamo: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  /** s3rver's S3-notification-shaped events (ObjectCreated:Post|Put|Copy, ObjectRemoved:Delete). */
  s3Events: EventEmitter;
  stop(): Promise<void>;
}

export interface ServerOptions {
  buckets: string[];
  tables: CreateTableCommandInput[];
  /** Folder for s3rver's objects (a temporary one by default, removed at stop). */
  s3Directory?: string;
  /** Folder for dynalite's data (in memory by default). */
  dynamoPath?: string;
  dynamoPort?: number;
  s3Port?: number;
}

/** SDK clients for stand-ins at these endpoints (in this process or another). */
export function localClients(dynamoEndpoint: string, s3Endpoint: string): { dynamo: DynamoDBClient; doc: DynamoDBDocumentClient; s3: S3Client } {
  const dynamo = new DynamoDBClient({ ...LOCAL_AWS, endpoint: dynamoEndpoint });
  const doc = DynamoDBDocumentClient.from(dynamo, DOCUMENT_TRANSLATION);
  const s3 = new S3Client({
    ...LOCAL_AWS,
    endpoint: s3Endpoint,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return { dynamo, doc, s3 };
}

export async function startLocalServers(opts: ServerOptions): Promise<LocalServers> {
  const dyn = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(opts.dynamoPath ? { path: opts.dynamoPath } : {}) });
  await new Promise<void>((resolve) => dyn.listen(opts.dynamoPort ?? 0, '127.0.0.1', resolve));
  const dynamoEndpoint = `http://127.0.0.1:${(dyn.address() as AddressInfo).port}`;

  const tmp = opts.s3Directory ? undefined : mkdtempSync(join(tmpdir(), 'fzip-s3-'));
  letS3rverPaginate();
  makeS3rverDurable(); // what it acknowledged survives a kill -9, whole
  const s3rver = new S3rver({
    address: '127.0.0.1',
    port: opts.s3Port ?? 0,
    silent: true,
    directory: opts.s3Directory ?? tmp,
    // Browsers upload with the presigned POST form and download exports from another origin (the page's).
    configureBuckets: opts.buckets.map((name) => ({ name, configs: [LOCAL_CORS] })),
    allowMismatchedSignatures: true,
  });
  const addr = await s3rver.run();
  const s3Endpoint = `http://127.0.0.1:${addr.port}`;

  const { dynamo, doc, s3 } = localClients(dynamoEndpoint, s3Endpoint);
  for (const t of opts.tables) {
    try {
      await dynamo.send(new CreateTableCommand(t));
    } catch (err) {
      if ((err as Error).name !== 'ResourceInUseException') throw err;
    }
  }
  return {
    dynamoEndpoint,
    s3Endpoint,
    dynamo,
    doc,
    s3,
    s3Events: s3rver,
    async stop() {
      dynamo.destroy();
      s3.destroy();
      await s3rver.close();
      await new Promise<void>((resolve) => dyn.close(() => resolve()));
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    },
  };
}
