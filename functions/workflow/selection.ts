/**
 * What a selective import writes, collected while validation streams the package: transactions
 * that match the filter, and the reference records they need — their accounts (or the accounts
 * the filter names), their categories with every ancestor, their transaction files, and, until
 * nothing more is needed, those files' accounts and file maps, the file maps' accounts and the
 * accounts' default file maps. Reference records are read before transactions, so
 * they are all staged and the selection (their ids) is decided at the end.
 */
import { ENTITIES, EntityKind, REFERENCE_KINDS } from '../fzip/entities';
import { addReferences, closeReferences, referencesOf } from '../fzip/references';
import { PlainRecord } from '../fzip/normalize';
import { ImportFilter, filtersTransactions, includedKinds, transactionMatcher } from '../jobs/import-filter';
import { Selection } from '../entities/staging';

export class SelectionCollector {
  private readonly kinds: EntityKind[];
  private readonly matches: (t: PlainRecord) => boolean;
  private readonly restricts: boolean;
  private readonly packageAccounts = new Set<string>();
  /** The package's reference records by kind and id (few: the validator bounds them), for the closure. */
  private readonly records = new Map<EntityKind, Map<string, PlainRecord>>();
  /** What the selected transactions refer to. */
  private readonly needed = new Map<EntityKind, Set<string>>();
  filteredOut = 0;

  constructor(private readonly filter: ImportFilter | undefined) {
    this.kinds = includedKinds(filter);
    this.matches = transactionMatcher(filter);
    this.restricts = filtersTransactions(filter);
  }

  get active(): boolean {
    return this.filter !== undefined;
  }

  /** Notes a valid record; true when it is to be staged. */
  accept(kind: EntityKind, r: PlainRecord): boolean {
    if (kind === 'transactions') {
      if (!this.matches(r)) {
        this.filteredOut++;
        return false;
      }
      if (this.restricts) addReferences(this.needed, referencesOf(r));
    } else {
      const id = r[ENTITIES[kind].idField] as string;
      if (kind === 'accounts') this.packageAccounts.add(id);
      if (this.restricts) (this.records.get(kind) ?? this.records.set(kind, new Map()).get(kind)!).set(id, r);
    }
    return this.kinds.includes(kind);
  }

  /** Accounts the filter names that the package does not hold. */
  unknownAccounts(): string[] {
    return (this.filter?.accountIds ?? []).filter((a) => !this.packageAccounts.has(a));
  }

  selection(): Selection | undefined {
    if (!this.filter) return undefined;
    if (!this.restricts) return { kinds: this.kinds, ids: {} };
    // the accounts the filter names (or those of the selected transactions), and what the selected records need
    const seed = new Map(this.needed);
    if (this.filter.accountIds) seed.set('accounts', new Set([...this.filter.accountIds, ...(this.needed.get('accounts') ?? [])]));
    const closed = closeReferences(seed, (kind, id) => this.records.get(kind)?.get(id));
    return {
      kinds: this.kinds,
      ids: Object.fromEntries(REFERENCE_KINDS.map((k) => [k, [...closed.get(k)!]])),
    };
  }
}
