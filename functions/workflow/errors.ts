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
