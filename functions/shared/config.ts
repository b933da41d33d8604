/** Configuration from the environment, with the documented defaults. */
import { ENV } from './env-names';

function str(name: string, fallback?: string): string {
  const v = process.env[name];
  if (v !== undefined && v !== '') return v;
  if (fallback !== undefined) return fallback;
  throw new Error(`environment variable ${name} is required`);
}

/** A whole number from the environment within [min, max]: anything else stops the Lambda at cold start with a clear message. */
export function int(name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!/^[0-9]+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    const bounds = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new Error(`environment variable ${name} must be a whole number ${bounds} (it is "${v.slice(0, 40)}")`);
  }
  return n;
}

export interface JobsConfig {
  jobsTable: string;
  packagesBucket: string;
  maxPackageBytes: number;
  maxUnfinishedJobsPerUser: number;
  jobRetentionDays: number;
  pendingJobTtlSeconds: number;
  uploadUrlExpiresSeconds: number;
  /** How long a previewed import waits for confirm before it expires. */
  confirmationTtlSeconds: number;
}

/**
 * A waiting preview must expire (cleanup, hourly by default) well before DynamoDB's TTL of a
 * job that is not finished (2 days) could delete it without an `expired` status or event.
 */
export const MAX_CONFIRMATION_TTL_SECONDS = 36 * 3600;

/** The confirmation wait, checked against its bounds (60 s to 36 h); used by CDK at synth. */
export function checkConfirmationTtl(seconds: number, name: string): number {
  if (!Number.isInteger(seconds) || seconds < 60 || seconds > MAX_CONFIRMATION_TTL_SECONDS) {
    throw new Error(`${name} must be a whole number of seconds from 60 to ${MAX_CONFIRMATION_TTL_SECONDS} (got ${seconds})`);
  }
  return seconds;
}

export function jobsConfig(): JobsConfig {
  return {
    jobsTable: str(ENV.jobsTable),
    packagesBucket: str(ENV.packagesBucket),
    maxPackageBytes: int('MAX_PACKAGE_BYTES', 500 * 1024 * 1024, 1),
    maxUnfinishedJobsPerUser: int('MAX_UNFINISHED_JOBS', 3, 1),
    jobRetentionDays: int('JOB_RETENTION_DAYS', 7, 1),
    pendingJobTtlSeconds: int('PENDING_JOB_TTL_SECONDS', 24 * 3600, 60),
    uploadUrlExpiresSeconds: int('UPLOAD_URL_EXPIRES_SECONDS', 900, 1),
    confirmationTtlSeconds: int('CONFIRMATION_TTL_SECONDS', 86400, 60, MAX_CONFIRMATION_TTL_SECONDS),
  };
}

export type AuthConfig =
  | { mode: 'cognito'; userPoolId: string; clientId: string; tokenUse: 'id' | 'access' }
  | { mode: 'jwks'; issuer: string; audience: string; jwksUri: string; jwks?: { keys: Array<Record<string, unknown>> } };

/** Cognito when COGNITO_USER_POOL_ID is set; otherwise a JWKS issuer (the local stack's). */
export function authConfig(): AuthConfig {
  if (process.env.COGNITO_USER_POOL_ID) {
    const tokenUse = str('COGNITO_TOKEN_USE', 'access');
    if (tokenUse !== 'id' && tokenUse !== 'access') throw new Error('COGNITO_TOKEN_USE must be id or access');
    return { mode: 'cognito', userPoolId: str('COGNITO_USER_POOL_ID'), clientId: str('COGNITO_CLIENT_ID'), tokenUse };
  }
  // JWT_JWKS_JSON: the issuer's keys inline (the local stack); otherwise fetched from JWT_JWKS_URI (https).
  const inline = process.env.JWT_JWKS_JSON;
  return {
    mode: 'jwks',
    issuer: str('JWT_ISSUER'),
    audience: str('JWT_AUDIENCE'),
    jwksUri: str('JWT_JWKS_URI', `${str('JWT_ISSUER')}/.well-known/jwks.json`),
    ...(inline ? { jwks: JSON.parse(inline) as { keys: Array<Record<string, unknown>> } } : {}),
  };
}

export function stateMachineArn(): string {
  return str(ENV.stateMachineArn);
}
