import { int, jobsConfig } from '../../../functions/shared/config';
import { tuningFromEnv } from '../../../functions/shared/import-tuning';

describe('configuration from the environment', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('refuses a value that is not a whole number, naming the variable and what it holds', () => {
    process.env.STAGING_CHUNK_SIZE = '5k';
    expect(() => int('STAGING_CHUNK_SIZE', 5000, 100)).toThrow('environment variable STAGING_CHUNK_SIZE must be a whole number of at least 100 (it is "5k")');
  });

  it('refuses a value below its minimum (0 chunks would loop forever)', () => {
    process.env.STAGING_CHUNK_SIZE = '0';
    expect(() => int('STAGING_CHUNK_SIZE', 5000, 100)).toThrow(/at least 100/);
    process.env.MAX_UNFINISHED_JOBS = '-1';
    process.env.JOBS_TABLE = 't';
    process.env.PACKAGES_BUCKET = 'b';
    expect(() => jobsConfig()).toThrow(/MAX_UNFINISHED_JOBS/);
  });

  it('reads the import throughput settings within their bounds', () => {
    delete process.env.IMPORT_MAP_CONCURRENCY;
    delete process.env.STAGING_CHUNK_SIZE;
    delete process.env.STAGING_CHUNK_BYTES;
    expect(tuningFromEnv()).toEqual({ mapConcurrency: 4, chunkRecords: 5000, chunkBytes: 4 * 1024 * 1024 });
    process.env.IMPORT_MAP_CONCURRENCY = '10';
    expect(tuningFromEnv().mapConcurrency).toBe(10);
    process.env.IMPORT_MAP_CONCURRENCY = '41';
    expect(() => tuningFromEnv()).toThrow('environment variable IMPORT_MAP_CONCURRENCY must be a whole number from 1 to 40 (it is "41")');
    process.env.IMPORT_MAP_CONCURRENCY = '4';
    process.env.STAGING_CHUNK_SIZE = '100';
    expect(() => tuningFromEnv()).toThrow(/STAGING_CHUNK_SIZE must be a whole number from 2000 to 25000/);
  });

  it('takes the documented defaults and valid values', () => {
    process.env.JOBS_TABLE = 't';
    process.env.PACKAGES_BUCKET = 'b';
    delete process.env.MAX_UNFINISHED_JOBS;
    process.env.CONFIRMATION_TTL_SECONDS = '3600';
    expect(jobsConfig()).toMatchObject({ jobsTable: 't', maxUnfinishedJobsPerUser: 3, jobRetentionDays: 7, confirmationTtlSeconds: 3600 });
  });

  it('refuses a confirmation wait longer than 36 h: the TTL of an unfinished job (2 days) would delete it before it expires', () => {
    process.env.JOBS_TABLE = 't';
    process.env.PACKAGES_BUCKET = 'b';
    process.env.CONFIRMATION_TTL_SECONDS = String(3 * 86400);
    expect(() => jobsConfig()).toThrow('environment variable CONFIRMATION_TTL_SECONDS must be a whole number from 60 to 129600');
    delete process.env.CONFIRMATION_TTL_SECONDS;
  });

  it('names a required variable that is missing', () => {
    delete process.env.JOBS_TABLE;
    expect(() => jobsConfig()).toThrow('environment variable JOBS_TABLE is required');
  });
});
