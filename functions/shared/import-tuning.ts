/**
 * The import's throughput settings, their defaults and their bounds, in one place: the
 * workflow Lambdas read them from the environment, the CDK stack from context (and refuses
 * a value out of bounds at synth). docs/benchmarks.md ("A 1M-transaction import on AWS")
 * explains the defaults.
 */
import { int } from './config';

const MiB = 1024 * 1024;

export interface TuningSetting {
  /** Environment variable of the workflow Lambdas. */
  env: string;
  /** CDK context key. */
  context: string;
  default: number;
  min: number;
  max: number;
  why: string;
}

export const IMPORT_TUNING = {
  mapConcurrency: {
    env: 'IMPORT_MAP_CONCURRENCY',
    context: 'importMapConcurrency',
    default: 4,
    min: 1,
    max: 40,
    why: 'chunks written at once by the Map state (an inline Map runs at most 40)',
  },
  chunkRecords: {
    env: 'STAGING_CHUNK_SIZE',
    context: 'stagingChunkSize',
    default: 5000,
    min: 2000,
    max: 25000,
    why: 'transactions per staged chunk (one Map iteration); at least 2,000 keeps the largest package under 2,500 iterations, within the 25,000-event execution history',
  },
  chunkBytes: {
    env: 'STAGING_CHUNK_BYTES',
    context: 'stagingChunkBytes',
    default: 4 * MiB,
    min: 1 * MiB,
    max: 16 * MiB,
    why: 'largest staged chunk in bytes of JSON: bounds a chunk Lambda\'s memory; at least 1 MiB keeps the largest data file under 2,100 chunks',
  },
} as const satisfies Record<string, TuningSetting>;

export type TuningName = keyof typeof IMPORT_TUNING;
export type ImportTuning = Record<TuningName, number>;

/** The settings from the environment; a value out of bounds stops the Lambda at cold start. */
export function tuningFromEnv(): ImportTuning {
  const out = {} as ImportTuning;
  for (const [name, s] of Object.entries(IMPORT_TUNING) as Array<[TuningName, TuningSetting]>) out[name] = int(s.env, s.default, s.min, s.max);
  return out;
}

/** Checks one setting's value (CDK context), with a message naming its bounds. */
export function checkTuning(name: TuningName, value: number): number {
  const s: TuningSetting = IMPORT_TUNING[name];
  if (!Number.isSafeInteger(value) || value < s.min || value > s.max) {
    throw new Error(`context ${s.context} must be a whole number from ${s.min} to ${s.max}: ${s.why} (got ${value})`);
  }
  return value;
}
