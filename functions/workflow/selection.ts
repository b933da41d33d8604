/**
 * What a selective import writes, collected while validation streams the package: transactions
 * that match the filter, and the reference records they need — their accounts (or the accounts
 * the filter names), their categories with every ancestor, their transaction files, and, until
 * nothing more is needed, those files' accounts and file maps, the file maps' accounts and the
 * accounts' default file maps. Reference records are read before transactions, so
 * they are all staged and the selection (their ids) is decided at the end.
 */
import { EntityKind } from '../fzip/entities';
import { PlainRecord } from '../fzip/normalize';
import { ImportFilter, filtersTransactions, includedKinds, transactionMatcher } from '../jobs/import-filter';
import { Selection } from '../entities/staging';

export class SelectionCollector {
  private readonly kinds: EntityKind[];
  private readonly matches: (t: PlainRecord) => boolean;
  private readonly restricts: boolean;
  private readonly packageAccounts = new Set<string>();
  private readonly defaultMapOf = new Map<string, string>();
  private readonly parentOf = new Map<string, string>();
  private readonly mapOfFile = new Map<string, string>();
  private readonly accountOfFile = new Map<string, string>();
  private readonly accountOfMap = new Map<string, string>();
  private readonly accounts = new Set<string>();
  private readonly categories = new Set<string>();
  private readonly files = new Set<string>();
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
    switch (kind) {
      case 'accounts':
        this.packageAccounts.add(r.accountId as string);
        if (typeof r.defaultFileMapId === 'string') this.defaultMapOf.set(r.accountId as string, r.defaultFileMapId);
        break;
      case 'categories':
        if (typeof r.parentCategoryId === 'string') this.parentOf.set(r.categoryId as string, r.parentCategoryId);
        break;
      case 'transactionFiles':
        if (typeof r.fileMapId === 'string') this.mapOfFile.set(r.fileId as string, r.fileMapId);
        if (typeof r.accountId === 'string') this.accountOfFile.set(r.fileId as string, r.accountId);
        break;
      case 'fileMaps':
        if (typeof r.accountId === 'string') this.accountOfMap.set(r.fileMapId as string, r.accountId);
        break;
      case 'transactions': {
        if (!this.matches(r)) {
          this.filteredOut++;
          return false;
        }
        if (this.restricts) {
          this.accounts.add(r.accountId as string);
          if (typeof r.fileId === 'string') this.files.add(r.fileId);
          if (typeof r.primaryCategoryId === 'string') this.categories.add(r.primaryCategoryId);
          if (Array.isArray(r.categories)) for (const c of r.categories as Array<{ categoryId?: unknown }>) if (typeof c?.categoryId === 'string') this.categories.add(c.categoryId);
        }
        break;
      }
      default:
        break;
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
    const accounts = new Set(this.filter.accountIds ?? this.accounts);
    const categories = new Set<string>();
    for (const c of this.categories) {
      // the category and every ancestor (validation guarantees parents exist and there is no cycle)
      let cur: string | undefined = c;
      for (let depth = 0; cur !== undefined && !categories.has(cur) && depth < 100_000; depth++) {
        categories.add(cur);
        cur = this.parentOf.get(cur);
      }
    }
    // statement files and file maps name their accounts, accounts their default file map: taken
    // until nothing more is needed, so that every record written has what it refers to
    const fileMaps = new Set<string>();
    for (let grew = true; grew; ) {
      const before = accounts.size + fileMaps.size;
      for (const f of this.files) {
        if (this.mapOfFile.has(f)) fileMaps.add(this.mapOfFile.get(f) as string);
        if (this.accountOfFile.has(f)) accounts.add(this.accountOfFile.get(f) as string);
      }
      for (const a of accounts) if (this.defaultMapOf.has(a)) fileMaps.add(this.defaultMapOf.get(a) as string);
      for (const m of fileMaps) if (this.accountOfMap.has(m)) accounts.add(this.accountOfMap.get(m) as string);
      grew = accounts.size + fileMaps.size > before;
    }
    return {
      kinds: this.kinds,
      ids: { accounts: [...accounts], categories: [...categories], transactionFiles: [...this.files], fileMaps: [...fileMaps] },
    };
  }
}
