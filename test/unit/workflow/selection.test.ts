import { SelectionCollector } from '../../../functions/workflow/selection';

describe('SelectionCollector', () => {
  it('takes the accounts and file maps that the selected records refer to, transitively', () => {
    const s = new SelectionCollector({ accountIds: ['acc3'] });
    s.accept('accounts', { accountId: 'acc1', defaultFileMapId: 'map1' });
    s.accept('accounts', { accountId: 'acc2' });
    s.accept('accounts', { accountId: 'acc3' });
    s.accept('accounts', { accountId: 'acc4' });
    s.accept('fileMaps', { fileMapId: 'map1', accountId: 'acc1' });
    s.accept('fileMaps', { fileMapId: 'map2', accountId: 'acc2' });
    s.accept('fileMaps', { fileMapId: 'map4', accountId: 'acc4' });
    // acc3's transactions are in a statement file of acc1, read with acc2's file map
    s.accept('transactionFiles', { fileId: 'file1', accountId: 'acc1', fileMapId: 'map2' });
    s.accept('transactionFiles', { fileId: 'file4', accountId: 'acc4', fileMapId: 'map4' });
    expect(s.accept('transactions', { transactionId: 't1', accountId: 'acc3', date: 1, fileId: 'file1' })).toBe(true);
    expect(s.accept('transactions', { transactionId: 't4', accountId: 'acc4', date: 1, fileId: 'file4' })).toBe(false);
    const ids = s.selection()!.ids;
    expect([...ids.accounts!].sort()).toEqual(['acc1', 'acc2', 'acc3']);
    expect([...ids.fileMaps!].sort()).toEqual(['map1', 'map2']);
    expect(ids.transactionFiles).toEqual(['file1']);
  });
});
