/**
 * Structured JSON logs, one line per event: level, message, service, timestamp and the
 * context (importId, phase, ...). Never pass record contents or tokens here.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export class Logger {
  constructor(
    private readonly service: string,
    private readonly context: Record<string, unknown> = {},
    private readonly sink: (line: string) => void = (l) => process.stdout.write(l + '\n'),
  ) {}

  child(context: Record<string, unknown>): Logger {
    return new Logger(this.service, { ...this.context, ...context }, this.sink);
  }

  private log(level: LogLevel, message: string, extra?: Record<string, unknown>): void {
    const min = (process.env.LOG_LEVEL ?? 'info').toLowerCase() as LogLevel | 'silent';
    if (ORDER[level] < (ORDER[min] ?? ORDER.info)) return;
    this.sink(JSON.stringify({ level, message, service: this.service, timestamp: new Date().toISOString(), ...this.context, ...extra }));
  }

  /**
   * A CloudWatch metric in Embedded Metric Format: the log line itself becomes the metric,
   * no API call needed. Dimension: phase.
   */
  metrics(phase: string, values: Record<string, { value: number; unit: 'Count' | 'Milliseconds' }>): void {
    if (ORDER.info < (ORDER[(process.env.LOG_LEVEL ?? 'info').toLowerCase() as LogLevel] ?? ORDER.info)) return;
    const fields: Record<string, number> = {};
    for (const [k, v] of Object.entries(values)) fields[k] = v.value;
    this.sink(
      JSON.stringify({
        _aws: {
          Timestamp: Date.now(),
          CloudWatchMetrics: [
            {
              Namespace: process.env.METRICS_NAMESPACE ?? 'FzipImport',
              Dimensions: [['phase']],
              Metrics: Object.entries(values).map(([Name, v]) => ({ Name, Unit: v.unit })),
            },
          ],
        },
        service: this.service,
        ...this.context,
        phase,
        ...fields,
      }),
    );
  }

  debug(message: string, extra?: Record<string, unknown>): void {
    this.log('debug', message, extra);
  }
  info(message: string, extra?: Record<string, unknown>): void {
    this.log('info', message, extra);
  }
  warn(message: string, extra?: Record<string, unknown>): void {
    this.log('warn', message, extra);
  }
  error(message: string, extra?: Record<string, unknown>): void {
    this.log('error', message, extra);
  }
}

/** An error as loggable fields: name and message, never the stack of user data. */
export function errorFields(err: unknown): Record<string, unknown> {
  const e = err as Error;
  return { errorName: e?.name ?? 'Error', errorMessage: e?.message ?? String(err) };
}
