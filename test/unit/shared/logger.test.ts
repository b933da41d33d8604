import { Logger } from '../../../functions/shared/logger';

describe('Logger (Powertools)', () => {
  const env = process.env.LOG_LEVEL;
  beforeEach(() => {
    process.env.LOG_LEVEL = 'info';
  });
  afterAll(() => {
    process.env.LOG_LEVEL = env;
  });

  it('writes one JSON line per event with the service and the context (importId, phase)', () => {
    const lines: string[] = [];
    new Logger('svc', {}, (l) => lines.push(l)).child({ importId: 'i1', phase: 'validate' }).info('done', { records: 3 });
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'INFO', message: 'done', service: 'svc', importId: 'i1', phase: 'validate', records: 3 });
  });

  it('adds the Lambda invocation to every line (request id, function)', () => {
    const lines: string[] = [];
    const context = { awsRequestId: 'req-1', functionName: 'fn', functionVersion: '1', invokedFunctionArn: 'arn', memoryLimitInMB: '128' };
    new Logger('svc', { importId: 'i2' }, (l) => lines.push(l)).withLambdaContext(context as never).warn('slow');
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'WARN', function_request_id: 'req-1', function_name: 'fn', importId: 'i2' });
  });

  it('emits metrics in CloudWatch Embedded Metric Format with the phase dimension', () => {
    const lines: string[] = [];
    new Logger('svc', { importId: 'i1' }, (l) => lines.push(l)).metrics('importing_accounts', {
      Records: { value: 5, unit: 'Count' },
      DurationMs: { value: 12, unit: 'Milliseconds' },
    });
    const m = JSON.parse(lines[lines.length - 1]);
    expect(m).toMatchObject({ phase: 'importing_accounts', Records: 5, DurationMs: 12, importId: 'i1' });
    expect(m._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'FzipImport',
      Dimensions: [expect.arrayContaining(['phase'])],
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
