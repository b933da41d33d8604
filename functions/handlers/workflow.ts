/**
 * The state machine's Lambdas. Each export is one function (CDK points one Lambda at each, by
 * the table in functions/workflow/steps.ts); each parses its payload, calls the workflow core
 * with the invocation's time left, and returns ids and counts only.
 */
import type { Context } from 'aws-lambda';
import { workflowDepsFromEnv } from '../workflow/deps-from-env';
import { WORKFLOW_STEPS, WorkflowSubstitution } from '../workflow/steps';

function lambdaStep(substitution: WorkflowSubstitution) {
  return (event: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>) => {
    const deps = workflowDepsFromEnv();
    const remainingMs = context?.getRemainingTimeInMillis ? () => context.getRemainingTimeInMillis() : deps.remainingMs;
    const logger = deps.logger.withLambdaContext(context as Context | undefined);
    return WORKFLOW_STEPS[substitution].run(event as never, { ...deps, logger, remainingMs });
  };
}

export const validate = lambdaStep('ValidateFunctionArn');
export const resume = lambdaStep('ResumeFunctionArn');
export const importAccounts = lambdaStep('ImportAccountsFunctionArn');
export const importCategories = lambdaStep('ImportCategoriesFunctionArn');
export const importFileMaps = lambdaStep('ImportFileMapsFunctionArn');
export const importTransactionFiles = lambdaStep('ImportTransactionFilesFunctionArn');
export const importTransactions = lambdaStep('ImportTransactionsFunctionArn');
export const complete = lambdaStep('CompleteFunctionArn');
export const rollbackBegin = lambdaStep('RollbackBeginFunctionArn');
export const checkWriters = lambdaStep('CheckWritersFunctionArn');
export const rollback = lambdaStep('RollbackFunctionArn');
export const rollbackFinish = lambdaStep('RollbackFinishFunctionArn');
export const rollbackFailed = lambdaStep('RollbackFailedFunctionArn');
