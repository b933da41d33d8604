/**
 * A local token issuer: an RSA key pair, its JWKS, and RS256 tokens for any user. Used by the
 * local stack (`fzip token`) and the tests; the API verifies its tokens with aws-jwt-verify
 * exactly as it verifies Cognito's.
 */
import { createPrivateKey, createPublicKey, createSign, generateKeyPairSync, KeyObject, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TokenOptions {
  ttlSeconds?: number;
  audience?: string;
  issuer?: string;
  /** Leave out exp (to test that such tokens are refused). */
  omitExp?: boolean;
  /** Sign with another key (forgery). */
  key?: KeyObject;
  now?: number;
}

function b64u(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

export class LocalTokenIssuer {
  readonly kid: string;
  private readonly privateKey: KeyObject;
  readonly jwks: { keys: Array<Record<string, unknown>> };

  constructor(
    readonly issuer = 'http://127.0.0.1/fzip-local',
    readonly audience = 'fzip-import',
    keys?: { privateKey: KeyObject; publicKey: KeyObject; kid: string },
  ) {
    const pair = keys ?? { ...generateKeyPairSync('rsa', { modulusLength: 2048 }), kid: randomUUID() };
    this.kid = pair.kid;
    this.privateKey = pair.privateKey;
    this.jwks = { keys: [{ ...pair.publicKey.export({ format: 'jwk' }), kid: pair.kid, alg: 'RS256', use: 'sig' }] };
  }

  get jwksUri(): string {
    return `${this.issuer}/.well-known/jwks.json`;
  }

  sign(sub: string, opts: TokenOptions = {}): string {
    const now = Math.floor((opts.now ?? Date.now()) / 1000);
    const payload: Record<string, unknown> = {
      iss: opts.issuer ?? this.issuer,
      aud: opts.audience ?? this.audience,
      sub,
      iat: now,
    };
    if (!opts.omitExp) payload.exp = now + (opts.ttlSeconds ?? 3600);
    const input = `${b64u({ alg: 'RS256', typ: 'JWT', kid: this.kid })}.${b64u(payload)}`;
    const sig = createSign('RSA-SHA256').update(input).sign(opts.key ?? this.privateKey, 'base64url');
    return `${input}.${sig}`;
  }
}

/** The local stack's issuer and audience. */
export const LOCAL_ISSUER = 'http://127.0.0.1/fzip-local';
export const LOCAL_AUDIENCE = 'fzip-import';

/** The issuer's RSA key, kept in the data folder so tokens stay valid across restarts. */
export function loadIssuer(dataDir: string | undefined): LocalTokenIssuer {
  if (!dataDir) return new LocalTokenIssuer(LOCAL_ISSUER, LOCAL_AUDIENCE);
  const file = join(dataDir, 'issuer-key.json');
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify({ kid: randomUUID(), privateKey: privateKey.export({ format: 'pem', type: 'pkcs8' }) }), { mode: 0o600 });
  }
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { kid: string; privateKey: string };
  const privateKey = createPrivateKey(saved.privateKey);
  return new LocalTokenIssuer(LOCAL_ISSUER, LOCAL_AUDIENCE, { privateKey, publicKey: createPublicKey(privateKey), kid: saved.kid });
}

