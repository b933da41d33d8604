/**
 * Errors the state machine tells apart by name (Lambda's errorType): these are not retried,
 * since running the same step again cannot change their outcome.
 */
export class ImportStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportStateError';
  }
}

export class StagingMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StagingMissingError';
  }
}

/** fail_on_conflict: the user has an item with this id (created after validation); nothing is kept. */
export class ImportConflictError extends Error {
  constructor(
    readonly kind: string,
    readonly id: string,
  ) {
    super(`you already have ${kind} ${id} (created after validation); with mergeStrategy fail_on_conflict nothing is imported`);
    this.name = 'ImportConflictError';
  }
}
