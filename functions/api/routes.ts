/**
 * Every route the API Lambda answers, written once. CDK creates the HTTP API's routes from this
 * list (infra/import-stack.ts); tests hold docs/openapi.yaml and the contract test to it (every
 * route documented, every documented route here, every route called by the contract test).
 */
import { WEB_ASSETS } from './web-assets.generated';

export type RouteMethod = 'GET' | 'POST' | 'DELETE';

export interface ApiRoute {
  method: RouteMethod;
  /** As OpenAPI and API Gateway write it: {importId}, {exportId} for path parameters. */
  path: string;
  /** What it does, in a few words. */
  does: string;
}

export const API_ROUTES: readonly ApiRoute[] = [
  { method: 'POST', path: '/import', does: 'create an import job and its presigned upload' },
  { method: 'GET', path: '/import', does: 'list your imports, newest first, paged' },
  { method: 'GET', path: '/import/{importId}/status', does: 'an import job, with its results and allowed actions' },
  { method: 'DELETE', path: '/import/{importId}', does: 'delete a finished import and its objects' },
  { method: 'POST', path: '/import/{importId}/upload', does: 'start an uploaded import (when the S3 event did not)' },
  { method: 'POST', path: '/import/{importId}/cancel', does: 'cancel: at once, or stop and roll back' },
  { method: 'POST', path: '/import/{importId}/undo', does: 'put back everything a completed import wrote' },
  { method: 'POST', path: '/import/{importId}/confirm', does: 'run a previewed import with decisions' },
  { method: 'GET', path: '/import/{importId}/conflicts', does: "a previewed import's conflicts, paged" },
  { method: 'POST', path: '/export', does: 'start an export of your data' },
  { method: 'GET', path: '/export', does: 'list your exports, newest first, paged' },
  { method: 'GET', path: '/export/{exportId}/status', does: 'an export job, with its download link when ready' },
  { method: 'DELETE', path: '/export/{exportId}', does: 'delete a finished export and its package' },
  { method: 'GET', path: '/analytics', does: 'monthly figures per account and category, per currency' },
  { method: 'POST', path: '/analytics/rebuild', does: 'recompute the analytics from the data' },
];

/** The web page's paths (GET, no token): the page, its assets and its configuration. */
export const WEB_ROUTES: readonly string[] = ['/', ...Object.keys(WEB_ASSETS), '/config.json'];

/** The API routes grouped by path, for API Gateway (one route per path with its methods). */
export function routesByPath(): Array<{ path: string; methods: RouteMethod[] }> {
  const out = new Map<string, RouteMethod[]>();
  for (const r of API_ROUTES) out.set(r.path, [...(out.get(r.path) ?? []), r.method]);
  return [...out.entries()].map(([path, methods]) => ({ path, methods }));
}
