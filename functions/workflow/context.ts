/** What every workflow step needs, and the payload that travels between states (ids and keys only). */
import { S3Client } from '@aws-sdk/client-s3';
import { JobStore } from '../jobs/job-store';
import { EntityStore } from '../entities/entity-store';
import { FzipLimits } from '../fzip/limits';
import { Logger } from '../shared/logger';

export interface WorkflowDeps {
  jobs: JobStore;
  s3: S3Client;
  entities: EntityStore;
  /** Where statement file bytes are stored ({userId}/{fileId}/{fileName}). */
  filesBucket: string;
  limits?: Partial<FzipLimits>;
  logger: Logger;
  /** Records per staging chunk (and so per transactions Map iteration). */
  chunkSize?: number;
  /** Bytes per staging chunk at most (bounds validate's memory). */
  chunkBytes?: number;
  /** Chunks the transactions Map writes at once (its MaxConcurrencyPath reads it). */
  mapConcurrency?: number;
  /** Milliseconds this invocation may still run (the Lambda context's); bounds write leases and rollback steps. */
  remainingMs?: () => number;
  /** Waits of retry loops (tests make them instant). */
  sleep?: (ms: number) => Promise<void>;
}

export type { WorkflowAction, WorkflowInput } from '../jobs/workflow-starter';
import type { WorkflowInput } from '../jobs/workflow-starter';

export interface ValidateOutput {
  valid: boolean;
  validateOnly: boolean;
  /** A preview: the job waits for confirm; the execution ends. */
  awaitConfirmation: boolean;
  /** The plan writes nothing (the same backup again): the import completes without its write phases. */
  writesNothing: boolean;
  /** One item per staged chunk of transactions: the Map state iterates over them. */
  transactionChunks: number[];
  /** How many of them the Map writes at once. */
  mapConcurrency: number;
}

export interface ChunkInput extends WorkflowInput {
  chunk: number;
}

/** A Catch's output: the failed phase and Step Functions' {Error, Cause}. */
export interface FailInput extends WorkflowInput {
  phase?: string;
  error?: { Error?: string; Cause?: string };
}
