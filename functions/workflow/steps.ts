/**
 * The one table from the state machine's Lambda substitutions (`${…FunctionArn}` in
 * statemachine/import.asl.json) to the step behind each: the name of its exported handler in
 * functions/handlers/workflow.ts (CDK points one Lambda at each) and the core function it runs
 * (the local stack and the tests call these with their own dependencies).
 */
import { kindNames, REFERENCE_KINDS, ReferenceKind } from '../fzip/entities';
import { validatePhase } from './validate-phase';
import { completePhase, importEntityPhase, importTransactionsChunk, resumePhase } from './import-phase';
import { checkWriters, rollbackBegin, rollbackFailed, rollbackFinish, rollbackStep } from './rollback-phase';
import { ChunkInput, FailInput, WorkflowDeps, WorkflowInput } from './context';
import { ExportDeps, ExportInput, ShardInput, exportComplete, exportFail, exportStart, exportTransactionsShard, exportWritePackage } from './export-phase';

/** The ids every step needs, checked: a payload without them is a definition error, not data. */
export function stepInput(event: WorkflowInput): WorkflowInput {
  const { importId, userId, bucket, packageKey } = event ?? ({} as WorkflowInput);
  for (const [k, v] of Object.entries({ importId, userId, bucket, packageKey })) {
    if (typeof v !== 'string' || !v) throw new Error(`the step input has no ${k}`);
  }
  return { importId, userId, bucket, packageKey };
}

type Step = (payload: any, deps: WorkflowDeps) => Promise<unknown>;

/** One step per reference kind (Import{Kind}FunctionArn → handler import{Kind}); the transactions have a Map of chunks. */
const importKindSteps = Object.fromEntries(
  REFERENCE_KINDS.map((kind) => {
    const { pascal } = kindNames(kind);
    return [`Import${pascal}FunctionArn`, { handler: `import${pascal}`, run: (p: WorkflowInput, d: WorkflowDeps) => importEntityPhase(kind, stepInput(p), d) }];
  }),
) as Record<`Import${Capitalize<ReferenceKind>}FunctionArn`, { handler: `import${Capitalize<ReferenceKind>}`; run: Step }>;

export const WORKFLOW_STEPS = {
  ValidateFunctionArn: { handler: 'validate', run: (p: WorkflowInput, d: WorkflowDeps) => validatePhase(stepInput(p), d) },
  ResumeFunctionArn: { handler: 'resume', run: (p: WorkflowInput, d: WorkflowDeps) => resumePhase(stepInput(p), d) },
  ...importKindSteps,
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

/** The ids every export step needs, checked. */
export function exportStepInput(event: ExportInput): ExportInput {
  const { exportId, userId, bucket, packageKey } = event ?? ({} as ExportInput);
  for (const [k, v] of Object.entries({ exportId, userId, bucket, packageKey })) {
    if (typeof v !== 'string' || !v) throw new Error(`the step input has no ${k}`);
  }
  return { exportId, userId, bucket, packageKey };
}

type ExportStep = (payload: any, deps: ExportDeps) => Promise<unknown>;

/** The same table for statemachine/export.asl.json (handlers in functions/handlers/export-workflow.ts). */
export const EXPORT_STEPS = {
  ExportStartFunctionArn: { handler: 'start', run: (p: ExportInput, d: ExportDeps) => exportStart(exportStepInput(p), d) },
  ExportShardFunctionArn: { handler: 'shard', run: (p: ShardInput, d: ExportDeps) => exportTransactionsShard({ ...exportStepInput(p), shard: p.shard }, d) },
  ExportWritePackageFunctionArn: { handler: 'writePackage', run: (p: ExportInput, d: ExportDeps) => exportWritePackage(exportStepInput(p), d) },
  ExportCompleteFunctionArn: { handler: 'complete', run: (p: ExportInput, d: ExportDeps) => exportComplete(exportStepInput(p), d) },
  ExportFailFunctionArn: {
    handler: 'fail',
    run: (p: ExportInput & { phase?: string; error?: { Error?: string; Cause?: string } }, d: ExportDeps) =>
      exportFail({ ...exportStepInput(p), phase: p.phase, error: p.error }, d),
  },
} satisfies Record<string, { handler: string; run: ExportStep }>;

export type ExportSubstitution = keyof typeof EXPORT_STEPS;
export const EXPORT_SUBSTITUTIONS = Object.keys(EXPORT_STEPS) as ExportSubstitution[];
