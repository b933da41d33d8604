/**
 * Stack configuration from CDK context (cdk.json or `-c key=value`), with documented defaults.
 */
import { Node } from 'constructs';
import { checkTuning, IMPORT_TUNING, ImportTuning, TuningName } from '../functions/shared/import-tuning';
import { checkConfirmationTtl } from '../functions/shared/config';

export interface ImportStackConfig {
  stage: string;
  /** An existing Cognito user pool and app client; when absent the stack creates both. */
  cognitoUserPoolId?: string;
  cognitoClientId?: string;
  /** The hosted UI domain of an existing pool (https://…): the web page's sign-in. */
  cognitoDomain?: string;
  cognitoTokenUse: 'access' | 'id';
  maxPackageBytes: number;
  maxUnfinishedJobs: number;
  jobRetentionDays: number;
  pendingJobTtlSeconds: number;
  /** How long a previewed import waits for confirm (bounded: see MAX_CONFIRMATION_TTL_SECONDS). */
  confirmationTtlSeconds: number;
  cleanupIntervalMinutes: number;
  allowedOrigins: string[];
  apiRateLimit: number;
  apiBurstLimit: number;
  /** Keep buckets and tables when the stack is deleted (default true for stage "prod"). */
  retainData: boolean;
  /** The import's throughput settings (functions/shared/import-tuning.ts: bounds and why). */
  tuning: ImportTuning;
}

function num(node: Node, key: string, fallback: number): number {
  const v = node.tryGetContext(key);
  if (v === undefined || v === null || v === '') return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`context ${key} must be a non-negative number (got ${String(v)})`);
  return n;
}

export function configFromContext(node: Node): ImportStackConfig {
  const stage = String(node.tryGetContext('stage') ?? 'dev');
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(stage)) throw new Error('context stage must be lower-case letters, digits and dashes');
  const tokenUse = String(node.tryGetContext('cognitoTokenUse') ?? 'access');
  if (tokenUse !== 'access' && tokenUse !== 'id') throw new Error('context cognitoTokenUse must be access or id');
  const origins = node.tryGetContext('allowedOrigins');
  const retain = node.tryGetContext('retainData');
  return {
    stage,
    cognitoUserPoolId: node.tryGetContext('cognitoUserPoolId') || undefined,
    cognitoClientId: node.tryGetContext('cognitoClientId') || undefined,
    cognitoDomain: node.tryGetContext('cognitoDomain') || undefined,
    cognitoTokenUse: tokenUse,
    maxPackageBytes: num(node, 'maxPackageBytes', 500 * 1024 * 1024),
    maxUnfinishedJobs: num(node, 'maxUnfinishedJobs', 3),
    jobRetentionDays: num(node, 'jobRetentionDays', 7),
    pendingJobTtlSeconds: num(node, 'pendingJobTtlSeconds', 86400),
    confirmationTtlSeconds: checkConfirmationTtl(num(node, 'confirmationTtlSeconds', 86400), 'context confirmationTtlSeconds'),
    cleanupIntervalMinutes: num(node, 'cleanupIntervalMinutes', 60),
    allowedOrigins: Array.isArray(origins) ? origins.map(String) : typeof origins === 'string' ? origins.split(',') : ['*'],
    apiRateLimit: num(node, 'apiRateLimit', 50),
    apiBurstLimit: num(node, 'apiBurstLimit', 100),
    retainData: retain === undefined ? stage === 'prod' : retain === true || retain === 'true',
    tuning: Object.fromEntries(
      (Object.keys(IMPORT_TUNING) as TuningName[]).map((name) => [name, checkTuning(name, num(node, IMPORT_TUNING[name].context, IMPORT_TUNING[name].default))]),
    ) as ImportTuning,
  };
}
