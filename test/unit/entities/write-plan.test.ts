import { EntityPlan, resultsOfPlan, writesNothing } from '../../../functions/entities/staging';
import { ENTITY_KINDS, EntityKind } from '../../../functions/fzip/entities';

const plan = (p: Partial<EntityPlan> = {}, kind: EntityKind = 'transactions'): Record<EntityKind, EntityPlan> => {
  const all = Object.fromEntries(ENTITY_KINDS.map((k) => [k, { records: 3, existing: 3, unchanged: 3, conflicts: 0 }])) as Record<EntityKind, EntityPlan>;
  all[kind] = { ...all[kind], ...p };
  return all;
};

describe('an import that writes nothing', () => {
  it.each([
    ['every record held exactly', {}, 'overwrite', true],
    ['a new record', { records: 4, existing: 3 }, 'overwrite', false],
    ['a changed record, overwritten', { unchanged: 2, conflicts: 1 }, 'overwrite', false],
    ['a changed record, kept (skip_existing)', { unchanged: 2, conflicts: 1 }, 'skip_existing', true],
    ['a new record under skip_existing', { records: 4, existing: 3 }, 'skip_existing', false],
    ['a record to delete (replace)', { delete: 1 }, 'replace', false],
    ['nothing at all', { records: 0, existing: 0, unchanged: 0 }, 'fail_on_conflict', true],
  ] as const)('%s: %s', (_what, p, strategy, expected) => {
    expect(writesNothing(plan(p), strategy)).toBe(expected);
  });

  it('reports what the plan counted', () => {
    expect(resultsOfPlan(plan({ unchanged: 2, conflicts: 1 }), 'skip_existing').transactions).toEqual({ created: 0, updated: 0, skipped: 1, unchanged: 2, errors: 0 });
    expect(resultsOfPlan(plan(), 'overwrite').accounts).toEqual({ created: 0, updated: 0, skipped: 0, unchanged: 3, errors: 0 });
  });
});
