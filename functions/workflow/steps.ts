/**
 * The one table from the state machine's Lambda substitutions (`${…FunctionArn}` in
 * statemachine/import.asl.json) to the step behind each: the name of its exported handler in
 * functions/handlers/workflow.ts (CDK points one Lambda at each) and the core function it runs
 * (the local stack and the tests call these with their own dependencies).
 */
import { validatePhase } from './validate-phase';
import { completePhase, importEntityPhase, importTransactionsChunk } from './import-phase';
import { checkWriters, rollbackBegin, rollbackFailed, rollbackFinish, rollbackStep } from './rollback-phase';
import { ChunkInput, FailInput, WorkflowDeps, WorkflowInput } from './context';

/** The ids every step needs, checked: a payload without them is a definition error, not data. */
export function stepInput(event: WorkflowInput): WorkflowInput {
  const { importId, userId, bucket, packageKey } = event ?? ({} as WorkflowInput);
  for (const [k, v] of Object.entries({ importId, userId, bucket, packageKey })) {
    if (typeof v !== 'string' || !v) throw new Error(`the step input has no ${k}`);
  }
  return { importId, userId, bucket, packageKey };
}

type Step = (payload: any, deps: WorkflowDeps) => Promise<unknown>;

export const WORKFLOW_STEPS = {
  ValidateFunctionArn: { handler: 'validate', run: (p: WorkflowInput, d: WorkflowDeps) => validatePhase(stepInput(p), d) },
  ImportAccountsFunctionArn: { handler: 'importAccounts', run: (p: WorkflowInput, d: WorkflowDeps) => importEntityPhase('accounts', stepInput(p), d) },
  ImportCategoriesFunctionArn: { handler: 'importCategories', run: (p: WorkflowInput, d: WorkflowDeps) => importEntityPhase('categories', stepInput(p), d) },
  ImportFileMapsFunctionArn: { handler: 'importFileMaps', run: (p: WorkflowInput, d: WorkflowDeps) => importEntityPhase('fileMaps', stepInput(p), d) },
  ImportTransactionFilesFunctionArn: {
    handler: 'importTransactionFiles',
    run: (p: WorkflowInput, d: WorkflowDeps) => importEntityPhase('transactionFiles', stepInput(p), d),
  },
  ImportTransactionsFunctionArn: {
    handler: 'importTransactions',
    run: (p: ChunkInput, d: WorkflowDeps) => importTransactionsChunk({ ...stepInput(p), chunk: p.chunk }, d),
  },
  CompleteFunctionArn: { handler: 'complete', run: (p: WorkflowInput, d: WorkflowDeps) => completePhase(stepInput(p), d) },
  RollbackBeginFunctionArn: {
    handler: 'rollbackBegin',
    run: (p: FailInput, d: WorkflowDeps) => rollbackBegin({ ...stepInput(p), phase: p.phase, error: p.error }, d),
  },
  CheckWritersFunctionArn: { handler: 'checkWriters', run: (p: WorkflowInput, d: WorkflowDeps) => checkWriters(stepInput(p), d) },
  RollbackFunctionArn: { handler: 'rollback', run: (p: WorkflowInput, d: WorkflowDeps) => rollbackStep(stepInput(p), d) },
  RollbackFinishFunctionArn: { handler: 'rollbackFinish', run: (p: WorkflowInput, d: WorkflowDeps) => rollbackFinish(stepInput(p), d) },
  RollbackFailedFunctionArn: {
    handler: 'rollbackFailed',
    run: (p: FailInput, d: WorkflowDeps) => rollbackFailed({ ...stepInput(p), error: p.error }, d),
  },
} satisfies Record<string, { handler: string; run: Step }>;

export type WorkflowSubstitution = keyof typeof WORKFLOW_STEPS;
export const WORKFLOW_SUBSTITUTIONS = Object.keys(WORKFLOW_STEPS) as WorkflowSubstitution[];
