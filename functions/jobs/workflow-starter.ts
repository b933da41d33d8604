/**
 * Starts and inspects executions of the import state machine. An execution's name says what it
 * is for: the import itself is named after the import id (so duplicate starts are one
 * execution); a rollback after an abnormal end and an undo get `{importId}-{action}-{n}`.
 */
import { DescribeExecutionCommand, ExecutionAlreadyExists, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

export const WORKFLOW_ACTIONS = ['import', 'confirm', 'rollback', 'undo'] as const;
export type WorkflowAction = (typeof WORKFLOW_ACTIONS)[number];

/** The execution input, the same for every state: ids and keys only. */
export interface WorkflowInput {
  importId: string;
  userId: string;
  bucket: string;
  packageKey: string;
  action?: WorkflowAction;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

export interface WorkflowStarter {
  /** Starts (or finds) the execution with this name; returns its ARN. */
  start(name: string, input: WorkflowInput): Promise<string>;
  /** The execution's status, undefined when there is no such execution. */
  status(name: string): Promise<ExecutionStatus | undefined>;
}

export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

/** The input as one canonical string: byte-identical for every duplicate start. */
export function executionInput(input: WorkflowInput): string {
  return JSON.stringify({ importId: input.importId, userId: input.userId, bucket: input.bucket, packageKey: input.packageKey, action: input.action ?? 'import' });
}

export class SfnWorkflowStarter implements WorkflowStarter {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(name: string, input: WorkflowInput): Promise<string> {
    try {
      const out = await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: executionInput(input) }));
      return out.executionArn ?? executionArnOf(this.stateMachineArn, name);
    } catch (err) {
      if (err instanceof ExecutionAlreadyExists || (err as Error).name === 'ExecutionAlreadyExists') {
        return executionArnOf(this.stateMachineArn, name);
      }
      throw err;
    }
  }

  async status(name: string): Promise<ExecutionStatus | undefined> {
    try {
      const out = await this.sfn.send(new DescribeExecutionCommand({ executionArn: executionArnOf(this.stateMachineArn, name) }));
      return out.status as ExecutionStatus;
    } catch (err) {
      if (err instanceof ExecutionDoesNotExist || (err as Error).name === 'ExecutionDoesNotExist') return undefined;
      throw err;
    }
  }
}

/** Starts executions of the export state machine (named after the export: a start is idempotent). */
export class SfnExportStarter {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(name: string, input: { exportId: string; userId: string; bucket: string; packageKey: string }): Promise<string> {
    const body = JSON.stringify({ exportId: input.exportId, userId: input.userId, bucket: input.bucket, packageKey: input.packageKey });
    try {
      const out = await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: body }));
      return out.executionArn ?? executionArnOf(this.stateMachineArn, name);
    } catch (err) {
      if (err instanceof ExecutionAlreadyExists || (err as Error).name === 'ExecutionAlreadyExists') return executionArnOf(this.stateMachineArn, name);
      throw err;
    }
  }
}
