/**
 * AWS SDK clients, created once per Lambda container. Endpoints come from the SDK's own
 * AWS_ENDPOINT_URL_* variables, so the local stack only changes endpoints, never code.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, NumberValue, TranslateConfig } from '@aws-sdk/lib-dynamodb';
import { canonicalDecimal } from '../fzip/money';
import { traced } from './tracer';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

let doc: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;
let sfn: SFNClient | undefined;

/**
 * A DynamoDB number read back as a JS number when that is exact, as a NumberValue (its exact
 * text) otherwise: items written by others may hold numbers a double cannot, and reading them
 * must neither throw nor round (before-images are restored, exports are lossless).
 */
export function exactNumber(text: string): number | NumberValue {
  const n = Number(text);
  return Number.isFinite(n) && canonicalDecimal(String(n)) === canonicalDecimal(text) ? n : NumberValue.from(text);
}

/** How every document client of ours marshalls and unmarshalls. */
export const DOCUMENT_TRANSLATION: TranslateConfig = {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  unmarshallOptions: { wrapNumbers: exactNumber },
};

export function documentClient(): DynamoDBDocumentClient {
  doc ??= DynamoDBDocumentClient.from(traced(new DynamoDBClient({})), DOCUMENT_TRANSLATION);
  return doc;
}

export function s3Client(): S3Client {
  s3 ??= traced(new S3Client({
    forcePathStyle: process.env.S3_FORCE_PATH_STYLE === 'true',
    // Streams are sent without aws-chunked framing (which S3 stand-ins store verbatim).
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  }));
  return s3;
}

export function sfnClient(): SFNClient {
  sfn ??= traced(new SFNClient({}));
  return sfn;
}

let eventBridge: EventBridgeClient | undefined;

export function eventBridgeClient(): EventBridgeClient {
  eventBridge ??= traced(new EventBridgeClient({}));
  return eventBridge;
}
