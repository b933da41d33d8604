/** Starts the import state machine; the execution name is the importId, so a start is idempotent. */
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

export interface WorkflowInput {
  importId: string;
  userId: string;
  bucket: string;
  packageKey: string;
}

export interface WorkflowStarter {
  /** Starts (or finds) the execution named after the import; returns its ARN. */
  start(input: WorkflowInput): Promise<string>;
}

export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

export class SfnWorkflowStarter implements WorkflowStarter {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(input: WorkflowInput): Promise<string> {
    // The input is byte-identical for every duplicate start (no timestamps, no request ids).
    const body = JSON.stringify({ importId: input.importId, userId: input.userId, bucket: input.bucket, packageKey: input.packageKey });
    try {
      const out = await this.sfn.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: input.importId, input: body }),
      );
      return out.executionArn ?? executionArnOf(this.stateMachineArn, input.importId);
    } catch (err) {
      if (err instanceof ExecutionAlreadyExists || (err as Error).name === 'ExecutionAlreadyExists') {
        return executionArnOf(this.stateMachineArn, input.importId);
      }
      throw err;
    }
  }
}
