/**
 * The memory each Lambda gets, in one place: the stack gives it (import-stack.ts) and the cost
 * model prices it (bench/e2e-child.ts). Lambda gives one vCPU per 1,769 MB.
 */
export const LAMBDA_MEMORY_MB = {
  api: 512,
  starter: 256,
  cleanup: 256,
  reconcile: 256,
  /** a full recompute reads every transaction of the user */
  analytics: 1024,
  /**
   * Validate is CPU-bound and inspects transactions on a second thread while it reads the package
   * (functions/fzip/check-thread.ts): 3,538 MB buys two whole vCPUs.
   */
  validate: 3538,
  /** a workflow or export step that may run 900 s (it handles chunks of records) */
  longStep: 1024,
  step: 512,
  exportStep: 256,
} as const;

/** A workflow step's memory: Validate's, or by how long its Task may run. */
export function workflowMemoryMB(isValidate: boolean, timeoutSeconds: number): number {
  if (isValidate) return LAMBDA_MEMORY_MB.validate;
  return timeoutSeconds >= 900 ? LAMBDA_MEMORY_MB.longStep : LAMBDA_MEMORY_MB.step;
}

/** An export step's memory, by how long its Task may run. */
export function exportMemoryMB(timeoutSeconds: number): number {
  return timeoutSeconds >= 900 ? LAMBDA_MEMORY_MB.longStep : LAMBDA_MEMORY_MB.exportStep;
}
