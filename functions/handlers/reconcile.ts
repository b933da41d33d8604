/**
 * Reconcile Lambda: EventBridge "Step Functions Execution Status Change" (SUCCEEDED, FAILED,
 * TIMED_OUT, ABORTED) of the import state machine -> reconcileExecution; of the export state
 * machine (its input names an exportId) -> reconcileExportExecution. At-least-once delivery
 * is fine: reconciling the same end twice changes nothing the second time.
 */
import type { Context } from 'aws-lambda';
import { reconcileExecution, reconcileExportExecution, ReconcileOutcome } from '../jobs/reconcile';
import { ExecutionStatus, SfnWorkflowStarter } from '../jobs/workflow-starter';
import { exportStoreFromEnv, jobStoreFromEnv, packageStoreFromEnv, eventPublisherFromEnv } from '../shared/stores';
import { jobsConfig, stateMachineArn } from '../shared/config';
import { sfnClient } from '../shared/aws-clients';
import { Logger } from '../shared/logger';

export interface ExecutionStatusChange {
  'detail-type'?: string;
  detail?: { name?: string; status?: string; input?: string | null; executionArn?: string };
}

const logger = new Logger('fzip-reconcile');

export async function handler(event: ExecutionStatusChange, context?: Context): Promise<{ outcome: ReconcileOutcome }> {
  logger.withLambdaContext(context);
  const d = event.detail ?? {};
  const name = d.name ?? String(d.executionArn ?? '').split(':').pop() ?? '';
  const end = { name, status: (d.status ?? 'RUNNING') as ExecutionStatus, input: d.input ?? undefined };
  if (/"exportId"/.test(d.input ?? '')) {
    return { outcome: await reconcileExportExecution(end, { exports: exportStoreFromEnv(), logger }) };
  }
  const cfg = jobsConfig();
  const outcome = await reconcileExecution(
    end,
    {
      jobs: jobStoreFromEnv(),
      packages: packageStoreFromEnv(),
      workflow: new SfnWorkflowStarter(sfnClient(), stateMachineArn()),
      maxPackageBytes: cfg.maxPackageBytes,
      events: eventPublisherFromEnv(),
      logger,
    },
  );
  return { outcome };
}
