import { ENTITIES, ENTITY_KINDS, entityTableNames, FILE_KIND, kindNames, READ_ORDER, REFERENCE_KINDS, totalCount, zeroCounts } from '../../../functions/fzip/entities';
import { referencesOf } from '../../../functions/fzip/references';
import { ENTITY_TABLE_ENV } from '../../../functions/shared/env-names';

describe('the entity registry', () => {
  it('reads referenced kinds before the kinds that refer to them', () => {
    const position = new Map(READ_ORDER.map((k, i) => [k, i]));
    expect(READ_ORDER).toHaveLength(ENTITY_KINDS.length);
    // by id field; an account's defaultFileMapId is the one reference back (file maps name their
    // account), checked once file maps are read
    const refersTo = { fileMaps: ['accounts'], [FILE_KIND]: ['accounts', 'fileMaps'], transactions: ['accounts', 'categories', FILE_KIND] } as const;
    for (const [kind, targets] of Object.entries(refersTo)) for (const t of targets) expect(position.get(t)!).toBeLessThan(position.get(kind as never)!);
    expect(ENTITIES.accounts.referenceFields).toEqual({ defaultFileMapId: 'fileMaps' });
    expect(READ_ORDER).toEqual(['accounts', 'fileMaps', 'categories', FILE_KIND, 'transactions']);
  });

  it('has exactly one kind that carries files, and transactions are no reference kind', () => {
    expect(ENTITY_KINDS.filter((k) => ENTITIES[k].carriesFile)).toEqual([FILE_KIND]);
    expect(ENTITIES[FILE_KIND].fileBase).toBe('transaction_files');
    expect(REFERENCE_KINDS).not.toContain('transactions');
    expect(REFERENCE_KINDS).toHaveLength(ENTITY_KINDS.length - 1);
  });

  it('derives the names CDK, the local stack and the Lambdas use (kept from before the registry)', () => {
    expect(ENTITY_KINDS.map((k) => `${kindNames(k).pascal}Table`)).toEqual(['AccountsTable', 'CategoriesTable', 'FileMapsTable', 'TransactionFilesTable', 'TransactionsTable']);
    expect(Object.values(ENTITY_TABLE_ENV)).toEqual(['ACCOUNTS_TABLE', 'CATEGORIES_TABLE', 'FILE_MAPS_TABLE', 'TRANSACTION_FILES_TABLE', 'TRANSACTIONS_TABLE']);
    expect(Object.values(entityTableNames('fzip-'))).toEqual(['fzip-accounts', 'fzip-categories', 'fzip-file-maps', 'fzip-transaction-files', 'fzip-transactions']);
  });

  it('counts every kind', () => {
    const c = zeroCounts();
    expect(Object.keys(c)).toEqual([...ENTITY_KINDS]);
    c.transactions = 5;
    c[FILE_KIND] = 2;
    expect(totalCount(c)).toBe(7);
  });

  it('finds every reference a record of the format makes', () => {
    const tx = {
      transactionId: 't1',
      accountId: 'a1',
      fileId: 'f1',
      primaryCategoryId: 'c1',
      categories: [{ categoryId: 'c2' }, { categoryId: 'c1' }, null],
    };
    expect(referencesOf(tx)).toEqual({ accounts: ['a1'], [FILE_KIND]: ['f1'], categories: ['c1', 'c2'] });
    expect(referencesOf({ accountId: 'a1', defaultFileMapId: 'm1' })).toEqual({ accounts: ['a1'], fileMaps: ['m1'] });
    expect(referencesOf({ categoryId: 'c3', parentCategoryId: 'c4' })).toEqual({ categories: ['c3', 'c4'] });
    expect(referencesOf({ fileId: 'f1', accountId: 'a1', fileMapId: 'm1' })).toEqual({ accounts: ['a1'], fileMaps: ['m1'], [FILE_KIND]: ['f1'] });
  });
});
