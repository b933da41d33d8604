/**
 * The state machine's Lambdas. Each export is one function (CDK points one Lambda at each);
 * each parses its payload, calls the workflow core and returns ids and counts only.
 */
import { workflowDepsFromEnv } from '../workflow/deps-from-env';
import { validatePhase } from '../workflow/validate-phase';
import { completePhase, failPhase, importEntityPhase, importTransactionsChunk } from '../workflow/import-phase';
import { ChunkInput, FailInput, ValidateOutput, WorkflowInput } from '../workflow/context';

function ids(event: WorkflowInput): WorkflowInput {
  const { importId, userId, bucket, packageKey } = event;
  for (const [k, v] of Object.entries({ importId, userId, bucket, packageKey })) {
    if (typeof v !== 'string' || !v) throw new Error(`the step input has no ${k}`);
  }
  return { importId, userId, bucket, packageKey };
}

export const validate = (event: WorkflowInput): Promise<ValidateOutput> => validatePhase(ids(event), workflowDepsFromEnv());
export const importAccounts = (event: WorkflowInput) => importEntityPhase('accounts', ids(event), workflowDepsFromEnv());
export const importCategories = (event: WorkflowInput) => importEntityPhase('categories', ids(event), workflowDepsFromEnv());
export const importFileMaps = (event: WorkflowInput) => importEntityPhase('fileMaps', ids(event), workflowDepsFromEnv());
export const importTransactionFiles = (event: WorkflowInput) => importEntityPhase('transactionFiles', ids(event), workflowDepsFromEnv());
export const importTransactions = (event: ChunkInput) => importTransactionsChunk({ ...ids(event), chunk: event.chunk }, workflowDepsFromEnv());
export const complete = (event: WorkflowInput) => completePhase(ids(event), workflowDepsFromEnv());
export const fail = (event: FailInput) =>
  failPhase({ ...ids(event), phase: String(event.phase ?? 'unknown'), error: event.error }, workflowDepsFromEnv());
