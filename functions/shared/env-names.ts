/**
 * The environment variables that name the stack's resources, written once: the Lambdas read
 * them by these names, and CDK (infra/import-stack.ts) and the local stack (local/stack.ts) set
 * them through resourceEnvironment(), so the three cannot drift apart. Tuning variables
 * (limits, retention) are read with their defaults in functions/shared/config.ts.
 */
import { ENTITY_KINDS, EntityKind, kindNames } from '../fzip/entities';

export const ENV = {
  jobsTable: 'JOBS_TABLE',
  exportsTable: 'EXPORTS_TABLE',
  packagesBucket: 'PACKAGES_BUCKET',
  filesBucket: 'FILES_BUCKET',
  stateMachineArn: 'STATE_MACHINE_ARN',
  exportStateMachineArn: 'EXPORT_STATE_MACHINE_ARN',
  eventBusName: 'EVENT_BUS_NAME',
  analyticsTable: 'ANALYTICS_TABLE',
} as const;

/** Each entity kind's table. */
export const ENTITY_TABLE_ENV = Object.fromEntries(ENTITY_KINDS.map((k) => [k, kindNames(k).tableEnv])) as Readonly<Record<EntityKind, string>>;

/** The names of the stack's tables and buckets (CDK tokens in AWS, plain names locally). */
export interface ResourceNames {
  jobsTable: string;
  exportsTable: string;
  packagesBucket: string;
  filesBucket: string;
  analyticsTable: string;
  entityTables: Record<EntityKind, string>;
}

/** The environment every Lambda gets: where its tables and buckets are. */
export function resourceEnvironment(names: ResourceNames): Record<string, string> {
  return {
    [ENV.jobsTable]: names.jobsTable,
    [ENV.exportsTable]: names.exportsTable,
    [ENV.packagesBucket]: names.packagesBucket,
    [ENV.filesBucket]: names.filesBucket,
    [ENV.analyticsTable]: names.analyticsTable,
    ...Object.fromEntries((Object.keys(ENTITY_TABLE_ENV) as EntityKind[]).map((k) => [ENTITY_TABLE_ENV[k], names.entityTables[k]])),
  };
}
