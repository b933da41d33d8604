/**
 * Bearer-token verification with aws-jwt-verify. In AWS: a Cognito user pool (pool id and
 * client id from configuration). Locally and in tests: a JWKS we hold (the local token
 * issuer), verified by the same library and code path; there is no "skip auth" switch.
 */
import { CognitoJwtVerifier, JwtVerifier } from 'aws-jwt-verify';
import type { JwksCache } from 'aws-jwt-verify/jwk';

export interface Caller {
  userId: string;
}

export interface TokenVerifier {
  /** The caller, or throws UnauthorizedError. */
  verify(token: string): Promise<Caller>;
}

export class UnauthorizedError extends Error {
  constructor(readonly reason: string) {
    super('missing or invalid bearer token');
    this.name = 'UnauthorizedError';
  }
}

/** aws-jwt-verify accepts a token without exp; we do not. */
function requireExp({ payload }: { payload: { exp?: unknown } }): void {
  if (typeof payload.exp !== 'number') throw new Error('the token has no exp claim');
}

/** Longest user id: it starts every DynamoDB key (2 KB hash keys) and S3 key (1,024 bytes) of the user. */
export const MAX_SUBJECT_CHARS = 128;

/**
 * Why a token subject cannot be a user id, or undefined. It becomes a key prefix everywhere
 * (`{userId}#…`, `uploads/{userId}/…`, `{userId}/{fileId}/…`), so it must be short, one path
 * segment, and plain text: Cognito's subs are UUIDs; other issuers' must be as tame.
 */
export function subjectProblem(sub: string): string | undefined {
  if (sub.length > MAX_SUBJECT_CHARS) return `is longer than ${MAX_SUBJECT_CHARS} characters`;
  if (!/^[A-Za-z0-9._@+=:-]+$/.test(sub)) return 'may hold only letters, digits and . _ @ + = : -';
  if (sub === '.' || sub === '..' || sub.includes('..')) return 'may not hold ".."';
  if (sub.includes('#')) return 'may not hold "#"';
  return undefined;
}

interface Verifiable {
  verify(token: string): Promise<{ sub?: unknown }>;
}

class LibraryVerifier implements TokenVerifier {
  constructor(private readonly inner: Verifiable) {}

  async verify(token: string): Promise<Caller> {
    try {
      const payload = await this.inner.verify(token);
      if (typeof payload.sub !== 'string' || !payload.sub) throw new Error('the token has no sub claim');
      const problem = subjectProblem(payload.sub);
      if (problem) throw new Error(`the token's sub claim ${problem}`);
      return { userId: payload.sub };
    } catch (err) {
      throw new UnauthorizedError((err as Error).message);
    }
  }
}

export interface CognitoConfig {
  userPoolId: string;
  clientId: string;
  tokenUse: 'id' | 'access';
}

export function cognitoVerifier(config: CognitoConfig): TokenVerifier {
  return new LibraryVerifier(
    CognitoJwtVerifier.create({
      userPoolId: config.userPoolId,
      clientId: config.clientId,
      tokenUse: config.tokenUse,
      customJwtCheck: requireExp,
    }) as unknown as Verifiable,
  );
}

export interface JwksConfig {
  issuer: string;
  audience: string;
  jwksUri: string;
  /** Keys known up front (local issuer): no fetch needed. */
  jwks?: { keys: Array<Record<string, unknown>> };
  jwksCache?: JwksCache;
}

export function jwksVerifier(config: JwksConfig): TokenVerifier {
  const v = JwtVerifier.create(
    { issuer: config.issuer, audience: config.audience, jwksUri: config.jwksUri, customJwtCheck: requireExp },
    config.jwksCache ? { jwksCache: config.jwksCache } : undefined,
  );
  if (config.jwks) v.cacheJwks(config.jwks as unknown as Parameters<typeof v.cacheJwks>[0]);
  return new LibraryVerifier(v as unknown as Verifiable);
}

/** The token from an Authorization header ("Bearer <jwt>"). */
export function bearerToken(header: string | undefined): string {
  const m = /^Bearer\s+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)\s*$/i.exec(header ?? '');
  if (!m) throw new UnauthorizedError('no bearer token');
  return m[1];
}
