/** Errors of the job domain; the API maps each to an HTTP status, the workflow to a job status. */

export class JobNotFoundError extends Error {
  constructor(readonly importId: string) {
    super(`import ${importId} was not found`);
    this.name = 'JobNotFoundError';
  }
}

/** An exclusive transition found the job already moved there by another request. */
export class AlreadyInStatusError extends Error {
  constructor(
    readonly importId: string,
    readonly status: string,
  ) {
    super(`import ${importId} is already ${status}`);
    this.name = 'AlreadyInStatusError';
  }
}

export class IllegalTransitionError extends Error {
  constructor(
    readonly importId: string,
    readonly from: string | undefined,
    readonly to: string,
  ) {
    super(`import ${importId} cannot go from ${from ?? '(missing)'} to ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export class TooManyJobsError extends Error {
  constructor(
    readonly limit: number,
    readonly what: 'imports' | 'exports' = 'imports',
  ) {
    super(`at most ${limit} unfinished ${what} are allowed at once; wait for one to finish or delete one`);
    this.name = 'TooManyJobsError';
  }
}

export class JobConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobConflictError';
  }
}

/**
 * A write step found the job no longer processing (canceled, or rolling back after a failure
 * elsewhere): it stops before writing more. Named ImportCanceledError when a cancel was asked,
 * so the execution history says why.
 */
export class WritesStoppedError extends Error {
  constructor(
    readonly importId: string,
    readonly status: string | undefined,
    readonly canceled: boolean,
  ) {
    super(canceled ? `import ${importId} was canceled` : `import ${importId} is ${status ?? 'gone'}, no longer processing`);
    this.name = canceled ? 'ImportCanceledError' : 'WritesStoppedError';
  }
}
