/**
 * The web page, served by the API itself (same origin as the API: no CORS for API calls, one
 * deployment): GET / (index.html), /app.js, /app.css, /vocabulary.generated.js, and /config.json
 * (how to sign in, and the package size limit the page checks before uploading). Assets asked
 * for with the current ?v= content hash are cached for a year; anything else is revalidated.
 * Every answer carries a Content-Security-Policy that allows no inline script or style.
 */
import { WEB_ASSETS, WEB_VERSION } from './web-assets.generated';
import { HttpRequest, HttpResponse } from './http';

export type WebAuth =
  | { mode: 'local' }
  | { mode: 'token' }
  | { mode: 'cognito'; domain: string; clientId: string; tokenUse: 'access' | 'id'; scopes: string };

export interface WebConfig {
  auth: WebAuth;
  /** Origins the page may call besides its own: the packages bucket (uploads) and the sign-in domain. */
  connectSrc: string[];
  /** The largest package the API accepts (the page refuses bigger files before uploading). */
  maxPackageBytes?: number;
}

export function webConfigFromEnv(env: NodeJS.ProcessEnv = process.env): WebConfig {
  const mode = env.WEB_AUTH_MODE ?? (env.COGNITO_DOMAIN ? 'cognito' : 'token');
  const auth: WebAuth =
    mode === 'local'
      ? { mode: 'local' }
      : mode === 'cognito' && env.COGNITO_DOMAIN && env.COGNITO_CLIENT_ID
        ? {
            mode: 'cognito',
            domain: env.COGNITO_DOMAIN.replace(/\/+$/, ''),
            clientId: env.COGNITO_CLIENT_ID,
            tokenUse: env.COGNITO_TOKEN_USE === 'id' ? 'id' : 'access',
            scopes: env.COGNITO_SCOPES ?? 'openid email',
          }
        : { mode: 'token' };
  const connectSrc = (env.WEB_CONNECT_SRC ?? '').split(/\s+/).filter(Boolean);
  if (auth.mode === 'cognito') connectSrc.push(auth.domain);
  return { auth, connectSrc };
}

export function securityHeaders(cfg: WebConfig): Record<string, string> {
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' ${cfg.connectSrc.join(' ')}`.trim(),
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
}

/** The page's files and its configuration; undefined for every other request. */
export function webResponse(req: HttpRequest, cfg: WebConfig): HttpResponse | undefined {
  if (req.method !== 'GET' && req.method !== 'HEAD') return undefined;
  const path = req.path === '/' ? '/index.html' : req.path;
  if (path === '/config.json') {
    return { statusCode: 200, headers: { 'content-type': 'application/json', 'cache-control': 'no-cache', ...securityHeaders(cfg) }, body: JSON.stringify({ auth: cfg.auth, ...(cfg.maxPackageBytes ? { maxPackageBytes: cfg.maxPackageBytes } : {}) }) };
  }
  const asset = WEB_ASSETS[path];
  if (!asset) return undefined;
  return {
    statusCode: 200,
    headers: { 'content-type': asset.contentType, 'cache-control': path !== '/index.html' && req.query.v === WEB_VERSION ? 'public, max-age=31536000, immutable' : 'no-cache', ...securityHeaders(cfg) },
    body: req.method === 'HEAD' ? '' : asset.body,
  };
}
