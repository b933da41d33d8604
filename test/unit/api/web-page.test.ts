import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { webConfigFromEnv, webResponse } from '../../../functions/api/web-page';

const get = (path: string) => ({ method: 'GET', path, headers: {}, query: {} });

describe('the web page served by the API', () => {
  it('is embedded from web/ as it is now (run npm run gen:web)', () => {
    const out = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/embed-web.ts', '--check'], { cwd: join(__dirname, '../../..'), encoding: 'utf8' });
    expect(out).toContain('up to date');
  });

  it('serves the page, its script and style with a CSP that forbids inline script and framing', () => {
    const cfg = webConfigFromEnv({ WEB_AUTH_MODE: 'local', WEB_CONNECT_SRC: 'http://127.0.0.1:4569' });
    const page = webResponse(get('/'), cfg)!;
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<script type="module" src="\/app\.js\?v=[0-9a-f]{12}"><\/script>/);
    expect(page.body).not.toMatch(/<script>(?!<)/);
    const csp = page.headers['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("connect-src 'self' http://127.0.0.1:4569");
    expect(csp).not.toContain('unsafe');
    expect(webResponse(get('/app.js'), cfg)!.headers['content-type']).toMatch(/^text\/javascript/);
    expect(webResponse(get('/import'), cfg)).toBeUndefined();
    expect(webResponse({ ...get('/'), method: 'POST' }, cfg)).toBeUndefined();
  });

  it('names its assets by content hash: cached for a year under the current hash, revalidated otherwise', () => {
    const cfg = webConfigFromEnv({ WEB_AUTH_MODE: 'local' });
    const page = webResponse(get('/'), cfg)!;
    const version = /app\.js\?v=([0-9a-f]{12})/.exec(page.body)![1];
    expect(page.body).toContain(`/app.css?v=${version}`);
    expect(page.headers['cache-control']).toBe('no-cache');
    const script = webResponse({ ...get('/app.js'), query: { v: version } }, cfg)!;
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    // the script imports the vocabulary under the same version
    expect(script.body).toContain(`./vocabulary.generated.js?v=${version}`);
    expect(webResponse({ ...get('/app.js'), query: { v: 'old' } }, cfg)!.headers['cache-control']).toBe('no-cache');
    expect(webResponse(get('/vocabulary.generated.js'), cfg)!.body).toContain('export const STATUS_WORDS');
  });

  it('states the package size limit for the check before upload', () => {
    const body = JSON.parse(webResponse(get('/config.json'), { ...webConfigFromEnv({ WEB_AUTH_MODE: 'local' }), maxPackageBytes: 1234 })!.body);
    expect(body).toEqual({ auth: { mode: 'local' }, maxPackageBytes: 1234 });
  });

  it('tells the page how to sign in: local issuer, Cognito hosted UI, or a pasted token', () => {
    const body = (env: NodeJS.ProcessEnv) => JSON.parse(webResponse(get('/config.json'), webConfigFromEnv(env))!.body);
    expect(body({ WEB_AUTH_MODE: 'local' })).toEqual({ auth: { mode: 'local' } });
    expect(body({ COGNITO_DOMAIN: 'https://x.auth.eu-west-1.amazoncognito.com/', COGNITO_CLIENT_ID: 'c1' })).toEqual({
      auth: { mode: 'cognito', domain: 'https://x.auth.eu-west-1.amazoncognito.com', clientId: 'c1', tokenUse: 'access', scopes: 'openid email' },
    });
    expect(body({})).toEqual({ auth: { mode: 'token' } });
  });
});
