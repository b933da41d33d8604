/**
 * Structured logs and metrics through Powertools for AWS Lambda (Logger and Metrics): one JSON
 * line per event with the service, the context (importId, phase, …) and, inside a Lambda, the
 * invocation's request id (`withLambdaContext`); metrics as CloudWatch Embedded Metric Format
 * lines (namespace METRICS_NAMESPACE, dimension `phase`). This small adapter keeps one call
 * shape for the whole code base (child loggers with context; `metrics(phase, values)`) and lets
 * tests and tools send the lines elsewhere. Never pass record contents or tokens here.
 */
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** The lowest level written, read at each call (LOG_LEVEL; tests and `npm start` change it). */
function enabled(level: LogLevel): boolean {
  const min = (process.env.LOG_LEVEL ?? 'info').toLowerCase() as LogLevel | 'silent';
  return ORDER[level] >= (ORDER[min] ?? ORDER.info);
}

type Sink = (line: string) => void;

/** Sends what a Powertools Logger or Metrics prints to `sink` instead of stdout. */
function redirect(target: PowertoolsLogger | Metrics, sink: Sink): void {
  const write = (line: unknown) => sink(String(line));
  Object.defineProperty(target, 'console', { value: { log: write, info: write, warn: write, error: write, debug: write, trace: write }, writable: true });
}

export class Logger {
  private readonly pt: PowertoolsLogger;

  constructor(
    private readonly service: string,
    private readonly context: Record<string, unknown> = {},
    private readonly sink?: Sink,
    parent?: PowertoolsLogger,
  ) {
    // Powertools writes everything at DEBUG and up; which levels reach it is decided above.
    this.pt = parent ? parent.createChild({ persistentKeys: context as never }) : new PowertoolsLogger({ serviceName: service, logLevel: 'DEBUG', persistentKeys: context as never });
    if (sink) redirect(this.pt, sink);
  }

  child(context: Record<string, unknown>): Logger {
    return new Logger(this.service, { ...this.context, ...context }, this.sink, this.pt);
  }

  /** This logger, its lines carrying the Lambda invocation (request id, function, cold start). */
  withLambdaContext(context: Context | undefined): Logger {
    if (context) this.pt.addContext(context);
    return this;
  }

  private log(level: LogLevel, message: string, extra?: Record<string, unknown>): void {
    if (!enabled(level)) return;
    this.pt[level](message, extra ?? {});
  }

  /**
   * Metrics of one phase in Embedded Metric Format: the log line itself becomes the metric, no
   * API call needed. Dimension: phase; the context (importId, …) goes along as metadata.
   */
  metrics(phase: string, values: Record<string, { value: number; unit: 'Count' | 'Milliseconds' }>): void {
    if (!enabled('info')) return;
    const m = new Metrics({ namespace: process.env.METRICS_NAMESPACE ?? 'FzipImport', serviceName: this.service, singleMetric: false });
    if (this.sink) redirect(m, this.sink);
    m.addDimension('phase', phase);
    for (const [name, v] of Object.entries(values)) m.addMetric(name, v.unit === 'Count' ? MetricUnit.Count : MetricUnit.Milliseconds, v.value);
    for (const [k, v] of Object.entries(this.context)) if (typeof v === 'string' || typeof v === 'number') m.addMetadata(k, String(v));
    m.publishStoredMetrics();
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
