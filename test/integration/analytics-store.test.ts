/** The analytics store's generations against dynalite: the newest build wins, whatever order builds finish in. */
import { startLocalServers, LocalServers } from '../../local/servers';
import { entityTableDefinition } from '../../local/tables';
import { AnalyticsStore } from '../../functions/analytics/analytics-store';
import { MonthAnalytics } from '../../functions/analytics/aggregate';

let servers: LocalServers;
let store: AnalyticsStore;

beforeAll(async () => {
  servers = await startLocalServers({ buckets: [], tables: [entityTableDefinition('analytics-test')] });
  store = new AnalyticsStore(servers.doc, 'analytics-test');
});
afterAll(() => servers.stop());

const month = (m: string, net: string): MonthAnalytics => ({ month: m, currency: 'GBP', accounts: { a: { inflow: net, outflow: '0.00', net, count: 1 } }, categories: {} });

describe('AnalyticsStore', () => {
  it('says none, then stale while a build runs, then current with its months', async () => {
    expect((await store.months('u1', '0001-01', '9999-12')).status).toEqual({ stale: false });
    const g = await store.request('u1');
    expect((await store.status('u1')).stale).toBe(true);
    expect(await store.publish('u1', g, [month('2024-01', '1.00'), month('2024-02', '2.00')], {})).toBe(true);
    const read = await store.months('u1', '2024-02', '2024-12');
    expect(read.status).toMatchObject({ current: g, stale: false });
    expect(read.months).toEqual([month('2024-02', '2.00')]);
  });

  it('an older build finishing after a newer one is dropped: readers keep the newer figures', async () => {
    const older = await store.request('u2');
    const newer = await store.request('u2');
    expect(await store.publish('u2', newer, [month('2024-03', '30.00')], {})).toBe(true);
    expect(await store.publish('u2', older, [month('2024-03', '10.00'), month('2024-04', '1.00')], {})).toBe(false);
    expect((await store.months('u2', '0001-01', '9999-12')).months).toEqual([month('2024-03', '30.00')]);
    // and a build still being written when an older one publishes keeps its items
    const third = await store.request('u2');
    const fourth = await store.request('u2');
    expect(await store.publish('u2', third, [month('2024-05', '5.00')], {})).toBe(true);
    expect((await store.status('u2')).stale).toBe(true);
    expect(await store.publish('u2', fourth, [month('2024-06', '6.00')], {})).toBe(true);
    expect((await store.months('u2', '0001-01', '9999-12')).months).toEqual([month('2024-06', '6.00')]);
    expect((await store.status('u2')).stale).toBe(false);
  });
});
