import { manifestSelection, parseExportRequest, selectionMatcher } from '../../../functions/jobs/export-selection';
import { closeSelection } from '../../../functions/workflow/export-phase';

const A1 = 'a0000000-0000-4000-8000-000000000001';
const A2 = 'a0000000-0000-4000-8000-000000000002';
const C1 = 'c0000000-0000-4000-8000-000000000001';

describe('parseExportRequest', () => {
  it('takes housef3 backup request names; a filter makes it selective', () => {
    expect(parseExportRequest({}).request).toEqual({ backupType: 'complete' });
    expect(parseExportRequest({ accountIds: [A1, A1], dateRangeStart: '2024-01-01', dateRangeEnd: '2024-12-31', description: 'tax year', includeAnalytics: false }).request).toEqual({
      backupType: 'selective',
      selection: { accountIds: [A1], dateRangeStart: '2024-01-01', dateRangeEnd: '2024-12-31' },
      description: 'tax year',
    });
    expect(parseExportRequest({ includeAnalytics: true }).request).toEqual({ backupType: 'complete', includeAnalytics: true });
  });

  it.each([
    [{ accountIds: 'x' }, 'accountIds'],
    [{ accountIds: [A1, 'nope'] }, 'accountIds[1]'],
    [{ categoryIds: [] }, 'categoryIds'],
    [{ dateRangeStart: '2024-02-30' }, 'dateRangeStart'],
    [{ dateRangeStart: '2024-03-01', dateRangeEnd: '2024-02-01' }, 'dateRangeEnd'],
    [{ backupType: 'accounts_only' }, 'backupType'],
    [{ backupType: 'complete', accountIds: [A1] }, 'backupType'],
    [{ backupType: 'selective' }, 'backupType'],
    [{ includeAnalytics: 'yes' }, 'includeAnalytics'],
    [{ includeAnalytics: true, dateRangeStart: '2024-01-01' }, 'includeAnalytics'],
    [{ description: 'x'.repeat(501) }, 'description'],
    [{ colour: 'red' }, 'colour'],
  ])('refuses %j, naming %s', (body, field) => {
    const { request, problems } = parseExportRequest(body as Record<string, unknown>);
    expect(request).toBeUndefined();
    expect(problems.map((p) => p.field)).toContain(field);
  });
});

describe('selectionMatcher', () => {
  const t = (accountId: string, day: string, category?: string) => ({ accountId, date: Date.parse(`${day}T23:59:59.999Z`), ...(category ? { primaryCategoryId: category } : {}) });
  it('holds when every given filter holds (days inclusive, UTC)', () => {
    const m = selectionMatcher({ accountIds: [A1], dateRangeStart: '2024-01-01', dateRangeEnd: '2024-01-31' });
    expect(m(t(A1, '2024-01-31'))).toBe(true);
    expect(m(t(A1, '2024-02-01'))).toBe(false);
    expect(m(t(A2, '2024-01-15'))).toBe(false);
    const byCategory = selectionMatcher({ categoryIds: [C1] });
    expect(byCategory(t(A2, '2020-01-01', C1))).toBe(true);
    expect(byCategory({ accountId: A2, date: 1, categories: [{ categoryId: C1 }] })).toBe(true);
    expect(byCategory(t(A2, '2020-01-01'))).toBe(false);
  });

  it('reads a selection back from a manifest; an unreadable one selects nothing (null)', () => {
    expect(manifestSelection({ backupType: 'complete' })).toBeUndefined();
    expect(manifestSelection({ backupType: 'selective', selection: { accountIds: [A1] } })).toEqual({ accountIds: [A1] });
    expect(manifestSelection({ backupType: 'selective' })).toBeNull();
    expect(manifestSelection({ backupType: 'selective', selection: { accountIds: ['bad'] } })).toBeNull();
  });
});

describe('closeSelection', () => {
  it('adds what the selected records need, transitively, and nothing else', () => {
    const map = (entries: Array<[string, Record<string, unknown>]>) => new Map(entries);
    const items = {
      accounts: map([['acc1', { defaultFileMapId: 'map1' }], ['acc2', {}], ['acc3', {}], ['acc4', {}]]),
      fileMaps: map([['map1', { accountId: 'acc1' }], ['map2', { accountId: 'acc3' }], ['map9', { accountId: 'acc4' }]]),
      transactionFiles: map([['file1', { accountId: 'acc2', fileMapId: 'map2' }], ['file9', { accountId: 'acc4' }]]),
      categories: map([['child', { parentCategoryId: 'parent' }], ['parent', { parentCategoryId: 'root' }], ['root', {}], ['other', {}]]),
    };
    const refs = new Map([
      ['accounts', new Set(['acc1'])],
      ['categories', new Set(['child'])],
      ['transactionFiles', new Set(['file1', 'missing'])],
    ] as const);
    const out = closeSelection(new Map(refs), {}, items);
    expect([...out.get('accounts')!].sort()).toEqual(['acc1', 'acc2', 'acc3']);
    expect([...out.get('fileMaps')!].sort()).toEqual(['map1', 'map2']);
    expect([...out.get('transactionFiles')!]).toEqual(['file1']);
    expect([...out.get('categories')!].sort()).toEqual(['child', 'parent', 'root']);
  });
});
