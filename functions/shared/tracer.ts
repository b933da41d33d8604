/**
 * Powertools Tracer: inside a Lambda (with active tracing) every AWS SDK client is captured, so
 * X-Ray shows each DynamoDB, S3, Step Functions and EventBridge call of an import. Outside a
 * Lambda (tests, the local stack) clients are left as they are.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';

let tracer: Tracer | undefined;

function inLambda(): boolean {
  return !!process.env.AWS_LAMBDA_FUNCTION_NAME && process.env.POWERTOOLS_TRACE_ENABLED !== 'false';
}

/** The client, captured by the tracer when running in a Lambda. */
export function traced<T>(client: T): T {
  if (!inLambda()) return client;
  tracer ??= new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'fzip-import' });
  return tracer.captureAWSv3Client(client as never) as T;
}
