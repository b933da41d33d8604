/**
 * The export state machine's Lambdas (statemachine/export.asl.json), one export each, by the
 * table EXPORT_STEPS in functions/workflow/steps.ts.
 */
import type { Context } from 'aws-lambda';
import { exportDepsFromEnv } from '../workflow/deps-from-env';
import { EXPORT_STEPS, ExportSubstitution } from '../workflow/steps';

const step = (substitution: ExportSubstitution) => (event: unknown, context?: Context) => {
  const deps = exportDepsFromEnv();
  return EXPORT_STEPS[substitution].run(event as never, { ...deps, logger: deps.logger.withLambdaContext(context) });
};

export const start = step('ExportStartFunctionArn');
export const shard = step('ExportShardFunctionArn');
export const writePackage = step('ExportWritePackageFunctionArn');
export const complete = step('ExportCompleteFunctionArn');
export const fail = step('ExportFailFunctionArn');
