/**
 * What a user may read about a failure. Step Functions hands a Catch {Error, Cause}: for our own
 * errors the Cause is our message; for anything else (AWS service errors, Lambda runtime errors)
 * it may carry table names, role ARNs or the account id, so users get a fixed sentence per kind
 * of error and the raw text goes to the logs only.
 */

/** Errors we raise with messages written for users (their Cause is safe to show). */
const OWN_ERRORS = new Set([
  'ImportStateError',
  'StagingMissingError',
  'PackageChangedError',
  'ImportConflictError',
  'ImportCanceledError',
  'WritesStoppedError',
  'BatchWriteIncompleteError',
  'IllegalTransitionError',
]);

const KNOWN: Record<string, string> = {
  'States.Timeout': 'the step took longer than its time limit',
  'States.HeartbeatTimeout': 'the step stopped reporting progress',
  'States.TaskFailed': 'the step failed',
  'States.Runtime': 'the workflow hit an internal error',
  'States.DataLimitExceeded': 'the workflow hit an internal limit',
  'States.ExceedToleratedFailureThreshold': 'too many parts of the step failed',
  'Lambda.Unknown': 'the step stopped unexpectedly (it ran out of memory or time)',
  'Lambda.TooManyRequestsException': 'the service was too busy; try again later',
  ProvisionedThroughputExceededException: 'the database was too busy; try again later',
  ThrottlingException: 'the service was too busy; try again later',
  SlowDown: 'the storage service was too busy; try again later',
};

function causeMessage(cause: string | undefined): string | undefined {
  if (!cause) return undefined;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage; // AWS wraps Lambda errors as JSON
  } catch {
    // a plain message
  }
  return cause;
}

/** The reason to show for a Catch's {Error, Cause}. */
export function safeReason(error: { Error?: string; Cause?: string } | undefined): string {
  const name = error?.Error ?? 'Error';
  if (OWN_ERRORS.has(name)) return (causeMessage(error?.Cause) ?? name).slice(0, 500);
  return KNOWN[name] ?? 'an internal error occurred (it has been logged)';
}

/** The job's errorMessage for a failed phase. */
export function failureMessage(phase: string | undefined, error: { Error?: string; Cause?: string } | undefined): string {
  return `Import failed in phase "${phase ?? 'unknown'}": ${safeReason(error)}`;
}
