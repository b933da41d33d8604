import { Logger } from '../../../functions/shared/logger';

describe('Logger', () => {
  const env = process.env.LOG_LEVEL;
  beforeEach(() => {
    process.env.LOG_LEVEL = 'info';
  });
  afterAll(() => {
    process.env.LOG_LEVEL = env;
  });

  it('writes one JSON line per event with the context (importId, phase)', () => {
    const lines: string[] = [];
    new Logger('svc', {}, (l) => lines.push(l)).child({ importId: 'i1', phase: 'validate' }).info('done', { records: 3 });
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'info', message: 'done', service: 'svc', importId: 'i1', phase: 'validate', records: 3 });
  });

  it('emits metrics in CloudWatch Embedded Metric Format', () => {
    const lines: string[] = [];
    new Logger('svc', { importId: 'i1' }, (l) => lines.push(l)).metrics('importing_accounts', {
      Records: { value: 5, unit: 'Count' },
      DurationMs: { value: 12, unit: 'Milliseconds' },
    });
    const m = JSON.parse(lines[0]);
    expect(m).toMatchObject({ phase: 'importing_accounts', Records: 5, DurationMs: 12, importId: 'i1' });
    expect(m._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: 'FzipImport',
      Dimensions: [['phase']],
      Metrics: [
        { Name: 'Records', Unit: 'Count' },
        { Name: 'DurationMs', Unit: 'Milliseconds' },
      ],
    });
  });

  it('respects LOG_LEVEL', () => {
    process.env.LOG_LEVEL = 'error';
    const lines: string[] = [];
    new Logger('svc', {}, (l) => lines.push(l)).info('hidden');
    expect(lines).toEqual([]);
  });
});
