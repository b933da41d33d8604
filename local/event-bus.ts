/**
 * A local EventBridge endpoint: PutEvents (AWS JSON 1.1) as the SDK sends it, so the handlers put
 * their import-end events exactly as in AWS, configured by endpoint only. Events are kept in
 * memory and, with a data folder, appended to events.jsonl (what `fzip events` lists).
 */
import { appendFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export interface BusEvent {
  id: string;
  time: string;
  eventBusName: string;
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
}

export interface LocalEventBus {
  url: string;
  events: BusEvent[];
  /** A rule's target: called (not awaited) with each event put, in EventBridge's shape. */
  subscribe(target: (event: { source: string; 'detail-type': string; detail: Record<string, unknown> }) => Promise<unknown>): void;
  stop(): Promise<void>;
}

export async function startLocalEventBus(opts: { file?: string; port?: number } = {}): Promise<LocalEventBus> {
  const events: BusEvent[] = [];
  const targets: Array<(event: { source: string; 'detail-type': string; detail: Record<string, unknown> }) => Promise<unknown>> = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const op = String(req.headers['x-amz-target'] ?? '').replace(/^AWSEvents\./, '');
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (op !== 'PutEvents') {
        res.writeHead(400);
        res.end(JSON.stringify({ __type: 'UnknownOperationException', message: `${op} is not supported by the local event bus` }));
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { Entries?: Array<Record<string, string>> };
      const results = (body.Entries ?? []).map((e) => {
        const event: BusEvent = {
          id: randomUUID(),
          time: new Date().toISOString(),
          eventBusName: e.EventBusName ?? 'default',
          source: e.Source,
          detailType: e.DetailType,
          detail: JSON.parse(e.Detail ?? '{}'),
        };
        events.push(event);
        if (opts.file) appendFileSync(opts.file, JSON.stringify(event) + '\n');
        // delivered after the answer, as EventBridge does: a target's failure is its own
        for (const t of targets) setImmediate(() => void t({ source: event.source, 'detail-type': event.detailType, detail: event.detail }).catch(() => undefined));
        return { EventId: event.id };
      });
      res.writeHead(200);
      res.end(JSON.stringify({ FailedEntryCount: 0, Entries: results }));
    });
  });
  await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    events,
    subscribe: (target) => void targets.push(target),
    stop: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
