/**
 * The analytics routes (the caller is already verified; a user reads only their own):
 *   GET  /analytics?from=YYYY-MM&to=YYYY-MM[&accountId=…]  monthly figures per currency
 *   POST /analytics/rebuild                                 recompute them from the data
 * The answer says whether the figures are current or stale (a rebuild is asked for or running).
 */
import { AnalyticsStore } from '../analytics/analytics-store';
import { REBUILD_DETAIL_TYPE } from '../analytics/rebuild';
import { EVENT_SOURCE, ImportEventPublisher } from '../jobs/import-events';
import { Logger } from '../shared/logger';
import { ApiError, HttpRequest, HttpResponse, json } from './http';

export interface AnalyticsApiDeps {
  analytics: AnalyticsStore;
  /** Where a rebuild request goes (the bus the analytics Lambda listens to). */
  events?: ImportEventPublisher;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class AnalyticsApi {
  constructor(private readonly deps: AnalyticsApiDeps) {}

  async route(req: HttpRequest, parts: string[], userId: string, log: Logger): Promise<HttpResponse> {
    if (parts.length === 1 && req.method === 'GET') return this.read(req, userId);
    if (parts.length === 2 && parts[1] === 'rebuild' && req.method === 'POST') return this.rebuild(userId, log);
    throw new ApiError(404, 'NOT_FOUND', 'no such route');
  }

  private async read(req: HttpRequest, userId: string): Promise<HttpResponse> {
    const { from = '0001-01', to = '9999-12', accountId } = req.query;
    const details = [
      ...(MONTH.test(from) ? [] : [{ field: 'from', message: 'must be a month YYYY-MM' }]),
      ...(MONTH.test(to) ? [] : [{ field: 'to', message: 'must be a month YYYY-MM' }]),
      ...(MONTH.test(from) && MONTH.test(to) && from > to ? [{ field: 'to', message: `is before from (${from})` }] : []),
      ...(accountId === undefined || UUID.test(accountId) ? [] : [{ field: 'accountId', message: 'must be an account id (a UUID)' }]),
    ];
    if (details.length) throw new ApiError(400, 'INVALID_REQUEST', details.map((d) => `${d.field} ${d.message}`).join('; '), details);
    const { status, months } = await this.deps.analytics.months(userId, from, to);
    // one account: its figures only (categories are kept per user, not per account)
    const shown = accountId
      ? months.filter((m) => m.accounts[accountId]).map((m) => ({ ...m, accounts: { [accountId]: m.accounts[accountId] }, categories: null }))
      : months;
    return json(200, {
      state: status.current === undefined ? (status.stale ? 'building' : 'none') : status.stale ? 'stale' : 'current',
      builtAt: status.builtAt ?? null,
      skippedTransactions: status.skipped ?? 0,
      names: status.names ?? { accounts: {}, categories: {} },
      months: shown,
    });
  }

  private async rebuild(userId: string, log: Logger): Promise<HttpResponse> {
    if (!this.deps.events) throw new ApiError(503, 'NOT_AVAILABLE', 'analytics cannot be rebuilt here: the stack has no event bus');
    // stale from now: the answer says so until the rebuild is current
    await this.deps.analytics.request(userId);
    await this.deps.events.publish({ source: EVENT_SOURCE, detailType: REBUILD_DETAIL_TYPE, detail: { userId } });
    log.info('analytics rebuild requested');
    return json(202, { state: 'stale', message: 'Rebuilding: GET /analytics says current when it is done.' });
  }
}
