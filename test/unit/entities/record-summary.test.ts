import { MAX_TEXT, NameBook, summarize } from '../../../functions/entities/record-summary';

describe('summarize', () => {
  const names = new NameBook();
  names.note('accounts', { accountId: 'a1', accountName: 'Everyday' });
  names.note('categories', { categoryId: 'c1', name: 'Food' });

  it('names a transaction by date, description, account, amount and currency', () => {
    expect(summarize('transactions', { transactionId: 't', accountId: 'a1', date: Date.UTC(2024, 4, 3, 10), description: 'Coffee', amount: '-3.20', currency: 'EUR' }, names.nameOf)).toEqual({
      title: 'Coffee',
      date: '2024-05-03',
      amount: '-3.20',
      currency: 'EUR',
      account: 'Everyday',
    });
  });

  it('falls back to the account id when the name is not known, and cuts long texts', () => {
    const s = summarize('transactions', { accountId: 'zz', description: 'x'.repeat(500), date: 'bad', amount: 1 }, names.nameOf);
    expect(s.account).toBe('zz');
    expect(s.title).toHaveLength(MAX_TEXT);
    expect(s.date).toBeUndefined();
    expect(s.amount).toBe('1');
  });

  it('names accounts, categories with their parent, file maps and statement files', () => {
    expect(summarize('accounts', { accountName: 'Joint', currency: 'GBP' })).toEqual({ title: 'Joint', currency: 'GBP' });
    expect(summarize('categories', { name: 'Groceries', parentCategoryId: 'c1' }, names.nameOf)).toEqual({ title: 'Groceries', parent: 'Food' });
    expect(summarize('fileMaps', { name: 'Bank CSV' })).toEqual({ title: 'Bank CSV' });
    expect(summarize('transactionFiles', { fileName: 'may.csv' })).toEqual({ title: 'may.csv' });
    expect(summarize('accounts', {})).toEqual({ title: '(no name)' });
  });
});

describe('NameBook', () => {
  it('gives the names as they were at a point, whatever was noted since', () => {
    const book = new NameBook();
    book.note('categories', { categoryId: 'c1', name: 'Food' });
    const point = book.noted;
    book.note('categories', { categoryId: 'c2', name: 'Rent' });
    expect(book.nameAsOf(point)('categories', 'c1')).toBe('Food');
    expect(book.nameAsOf(point)('categories', 'c2')).toBeUndefined();
    expect(book.nameOf('categories', 'c2')).toBe('Rent');
  });
});
