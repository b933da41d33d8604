/** An export job: the caller's data written as an FZIP package by the export state machine. */
import { EntityKind } from '../fzip/entities';
import type { BackupType, ExportSelection } from './export-selection';

export const EXPORT_STATUSES = ['processing', 'completed', 'failed'] as const;
export type ExportStatus = (typeof EXPORT_STATUSES)[number];

export type ExportCounts = Record<EntityKind, number> & { statementFiles: number };

export interface ExportJob {
  exportId: string;
  userId: string;
  status: ExportStatus;
  /** Epoch ms. */
  createdAt: number;
  updatedAt: number;
  completedAt?: number;
  progress: number;
  currentPhase?: string;
  /** Records per kind written to the package (and statement files). */
  counts?: ExportCounts;
  /** Bytes of the finished package. */
  packageSize?: number;
  /** exports/{userId}/{exportId}.fzip in the packages bucket. */
  packageKey: string;
  /** complete (everything) or selective (the selection and what it needs); absent: complete. */
  backupType?: BackupType;
  selection?: ExportSelection;
  description?: string;
  /** The package holds the user's analytics as they were when it was written. */
  includeAnalytics?: boolean;
  errorMessage?: string;
  executionName?: string;
  /** Epoch seconds: the table's TTL attribute. */
  expiresAt: number;
  version: number;
}

export function isExportFinished(job: Pick<ExportJob, 'status'>): boolean {
  return job.status !== 'processing';
}

export function exportPackageKey(userId: string, exportId: string): string {
  return `exports/${userId}/${exportId}.fzip`;
}

/** Where the export stages its transactions, shard by shard, before writing the package. */
export function exportStagingPrefix(exportId: string): string {
  return `export-staging/${exportId}/`;
}

/** What the API returns for an export; downloadUrl only once completed. */
export function exportView(job: ExportJob, downloadUrl?: { url: string; expiresIn: number }): Record<string, unknown> {
  return {
    exportId: job.exportId,
    status: job.status,
    progress: job.progress,
    currentPhase: job.currentPhase ?? null,
    createdAt: job.createdAt,
    completedAt: job.completedAt ?? null,
    backupType: job.backupType ?? 'complete',
    selection: job.selection ?? null,
    description: job.description ?? null,
    includeAnalytics: job.includeAnalytics ?? false,
    counts: job.counts ?? null,
    packageSize: job.packageSize ?? null,
    errorMessage: job.errorMessage ?? null,
    downloadUrl: downloadUrl?.url ?? null,
    downloadUrlExpiresIn: downloadUrl?.expiresIn ?? null,
    expiresAt: job.expiresAt,
  };
}
