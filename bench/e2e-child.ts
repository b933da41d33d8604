/**
 * End to end: a package through the local REST API to `completed` (create, presigned POST upload,
 * S3 event, state machine), wall time and each phase's share from the execution's events.
 *   node dist/bench/e2e-child.js <transactions>
 *
 * It also counts what the import would be billed for on AWS (`costs` in the JSON line; priced by
 * bench/cost-model.ts): every DynamoDB and S3 call of the Lambdas' own SDK clients (a middleware
 * on their stacks) with the capacity units DynamoDB would charge, the state transitions of the
 * execution, and each Lambda's invocations and durations, all by the phase (or Lambda) that made
 * them. Counting adds a few reads of job items to the run, no work to the bulk writes.
 */
import '../local/polyfills';
import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttributeValue, DescribeTableCommand, GetItemCommand, ListTablesCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startLocalStack } from '../local/stack';
import { writePackageFile } from '../functions/fzip/writer';
import { syntheticPackage } from '../cli/synthetic-package';
import { FzipClient, isFinishedJob } from '../cli/client';
import { loadDefinition, taskStates } from '../local/state-machine';
import { emptyScope, MeasuredImport, MeasuredScope } from './cost-model';
import { LAMBDA_MEMORY_MB, workflowMemoryMB } from '../infra/lambda-memory';

const PHASES = ['Validate package', 'Import accounts', 'Import categories', 'Import file maps', 'Import transaction files', 'Import transactions', 'Complete import'];

const ANALYTICS = 'Analytics (after the import)';
const ANALYTICS_WRITES = 'Analytics: months written';
/** What grows with the transactions; the others cost the same for any package. */
const SCALING_PHASES = new Set(['Validate package', 'Import transactions', ANALYTICS]);


type Item = Record<string, AttributeValue>;
type Index = { name: string; keys: string[]; projection: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; include: string[] };
interface TableInfo {
  keys: string[];
  indexes: Index[];
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const itemSize = (require('dynalite/db') as { itemSize: (item: Item) => number }).itemSize;
const writeUnits = (item: Item | undefined) => (item ? Math.max(1, Math.ceil(itemSize(item) / 1024)) : 0);

/** What an index holds of an item (undefined: the item is not in the index). */
function indexEntry(table: TableInfo, index: Index, item: Item | undefined): Item | undefined {
  if (!item || index.keys.some((k) => item[k] === undefined)) return undefined;
  if (index.projection === 'ALL') return item;
  const names = [...table.keys, ...index.keys, ...(index.projection === 'INCLUDE' ? index.include : [])];
  return Object.fromEntries(names.filter((n) => item[n] !== undefined).map((n) => [n, item[n]]));
}

/**
 * The write units a table write costs in one global secondary index, by DynamoDB's rules: nothing
 * if the item is in the index neither before nor after, or its entry is unchanged; a put if it
 * enters or its entry changes; a delete if it leaves; both if its index key changes.
 */
function indexWriteUnits(table: TableInfo, index: Index, before: Item | undefined, after: Item | undefined): number {
  const a = indexEntry(table, index, before);
  const b = indexEntry(table, index, after);
  if (!a && !b) return 0;
  if (!a) return writeUnits(b);
  if (!b) return writeUnits(a);
  if (JSON.stringify(index.keys.map((k) => a[k])) !== JSON.stringify(index.keys.map((k) => b[k]))) return writeUnits(a) + writeUnits(b);
  return canonical(a) === canonical(b) ? 0 : writeUnits(b);
}

/** JSON with every object's keys sorted, at every depth. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}


/** Counts by scope: a phase of the state machine, or a Lambda outside it. */
class Meter {
  readonly scopes: Record<string, MeasuredScope> = {};
  readonly als = new AsyncLocalStorage<string>();
  /** Items as DynamoDB JSON lines (what Import from S3 would read), bytes. */
  putItemJsonBytes = 0;
  putItems = 0;
  private readonly inflight = new Set<Promise<unknown>>();

  scope(name = this.als.getStore() ?? 'outside any Lambda'): MeasuredScope {
    return (this.scopes[name] ??= emptyScope());
  }

  /** The function, run in a scope and timed as one Lambda invocation. */
  wrap<F extends (...args: any[]) => Promise<unknown>>(name: string | ((...args: Parameters<F>) => string), memoryMB: number, fn: F): F {
    return ((...args: Parameters<F>) => {
      const scopeName = typeof name === 'function' ? name(...args) : name;
      const s = this.scope(scopeName);
      s.lambdaMemoryMB = memoryMB;
      s.lambdaInvocations++;
      const t0 = performance.now();
      const p = this.als.run(scopeName, () => fn(...args)).finally(() => {
        s.invocationSeconds += (performance.now() - t0) / 1000;
        s.lambdaSeconds = s.invocationSeconds;
        this.inflight.delete(p);
      });
      this.inflight.add(p);
      return p;
    }) as F;
  }

  /** Waits until no wrapped Lambda runs (the analytics and reconcile Lambdas after the end). */
  async settle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }
}

/** Counts the DynamoDB calls of a client, with the capacity they consume (dynalite reports the table's; indexes are computed). */
async function meterDynamo(meter: Meter, client: DynamoDBClient, reader: DynamoDBClient): Promise<void> {
  const tables = new Map<string, TableInfo>();
  for (const name of (await reader.send(new ListTablesCommand({}))).TableNames ?? []) {
    const t = (await reader.send(new DescribeTableCommand({ TableName: name }))).Table!;
    tables.set(name, {
      keys: (t.KeySchema ?? []).map((k) => k.AttributeName!),
      indexes: (t.GlobalSecondaryIndexes ?? []).map((i) => ({
        name: i.IndexName!,
        keys: (i.KeySchema ?? []).map((k) => k.AttributeName!),
        projection: (i.Projection?.ProjectionType ?? 'ALL') as Index['projection'],
        include: i.Projection?.NonKeyAttributes ?? [],
      })),
    });
  }
  const keyOf = (table: TableInfo, item: Item) => Object.fromEntries(table.keys.map((k) => [k, item[k]]));
  const read = async (tableName: string, key: Item) =>
    (await reader.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;

  // Ask every call for its consumed capacity (before the request is serialized).
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as Record<string, unknown>;
      if (input && typeof input === 'object' && !input.ReturnConsumedCapacity) input.ReturnConsumedCapacity = 'INDEXES';
      return next(args);
    },
    { step: 'initialize', name: 'costMeterCapacity', priority: 'high' },
  );
  // Count it, with its input marshalled (after serialization's DocumentMarshall).
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      const isWrite = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].includes(command);
      // The analytics Lambda reads the imported months' transactions (grows with the package) and
      // writes one item per month and account (does not): its writes are counted apart.
      const current = meter.als.getStore();
      const s = meter.scope(current === ANALYTICS && isWrite ? ANALYTICS_WRITES : current);
      s.dynamodbRequests[command] = (s.dynamodbRequests[command] ?? 0) + 1;
      const input = args.input as Record<string, any>;
      // Index writes: single-item writes of tables with indexes are read before and after (by
      // another client, not counted); a batch's puts are taken as new items (what an import of
      // new transactions writes: an overwrite that changes no projected attribute costs less).
      const single = ['PutItem', 'UpdateItem', 'DeleteItem'].includes(command) ? tables.get(input.TableName) : undefined;
      const singleKey = single ? (input.Key ?? keyOf(single, input.Item)) : undefined;
      const before = single?.indexes.length ? await read(input.TableName, singleKey) : undefined;
      if (command === 'BatchWriteItem') {
        for (const [tableName, requests] of Object.entries(input.RequestItems as Record<string, Array<{ PutRequest?: { Item: Item } }>>)) {
          const table = tables.get(tableName);
          for (const r of requests) {
            if (!r.PutRequest) continue;
            if (PHASES.includes(current ?? '')) {
              // the imported items (not the analytics' months), as Import from S3 would read them
              meter.putItems++;
              meter.putItemJsonBytes += Buffer.byteLength(JSON.stringify({ Item: r.PutRequest.Item })) + 1;
            }
            for (const index of table?.indexes ?? []) s.indexWriteUnits += indexWriteUnits(table!, index, undefined, r.PutRequest.Item);
          }
        }
      }
      let result;
      try {
        result = await next(args);
      } catch (err) {
        // A write whose condition fails is still billed (1 unit for a small item).
        if ((err as Error).name === 'ConditionalCheckFailedException') s.writeUnits += writeUnits(before ?? { k: { S: '' } });
        throw err;
      }
      const out = result.output as { ConsumedCapacity?: { CapacityUnits?: number } | Array<{ CapacityUnits?: number }> };
      const consumed = [out.ConsumedCapacity ?? []].flat().reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
      if (isWrite) s.writeUnits += consumed;
      else s.readUnits += consumed;
      if (single?.indexes.length) {
        const after = await read(input.TableName, singleKey);
        for (const index of single.indexes) s.indexWriteUnits += indexWriteUnits(single, index, before, after);
      }
      return result;
    },
    { step: 'build', name: 'costMeterCount' },
  );
}

/** Counts the S3 calls of a client by operation. */
function meterS3(meter: Meter, client: { middlewareStack: DynamoDBClient['middlewareStack'] }): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const s = meter.scope();
      const command = String(context.commandName ?? 'unknown').replace(/Command$/, '');
      s.s3Requests[command] = (s.s3Requests[command] ?? 0) + 1;
      return next(args);
    },
    { step: 'build', name: 'costMeterS3' },
  );
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 100000);
  process.env.LOG_LEVEL = 'silent';
  const dir = mkdtempSync(join(tmpdir(), 'fzip-bench-'));
  const stack = await startLocalStack({ apiPort: 0, cleanupIntervalSeconds: 0 });
  const meter = new Meter();
  try {
    // The Lambdas' own clients and handler modules (loaded by the stack, so after its environment).
    const aws = await import('../functions/shared/aws-clients');
    await meterDynamo(meter, aws.documentClient() as unknown as DynamoDBClient, stack.servers.dynamo);
    meterS3(meter, aws.s3Client() as unknown as { middlewareStack: DynamoDBClient['middlewareStack'] });
    const { WORKFLOW_STEPS } = await import('../functions/workflow/steps');
    const def = loadDefinition() as unknown as { States: Record<string, { TimeoutSeconds?: number; ItemProcessor?: { States: Record<string, { TimeoutSeconds?: number }> } }> };
    const timeoutOf = (state: string): number =>
      def.States[state]?.TimeoutSeconds ?? Object.values(def.States).map((s) => s.ItemProcessor?.States[state]?.TimeoutSeconds).find((t) => t !== undefined) ?? 60;
    const workflow = (await import('../functions/handlers/workflow')) as unknown as Record<string, (...a: any[]) => Promise<unknown>>;
    for (const t of taskStates()) {
      const handler = WORKFLOW_STEPS[t.substitution as keyof typeof WORKFLOW_STEPS]?.handler;
      if (!handler || workflow[handler].name === 'metered') continue;
      const phase = PHASES.find((p) => t.state.startsWith(p)) ?? t.state; // "Import transactions chunk" → the Map's phase
      const metered = meter.wrap(phase, workflowMemoryMB(phase === 'Validate package', timeoutOf(t.state)), workflow[handler]);
      Object.defineProperty(metered, 'name', { value: 'metered' });
      workflow[handler] = metered;
    }
    const wrapHandler = async (path: string, name: string | ((event: any) => string), memoryMB: number) => {
      const mod = (await import(path)) as { handler: (...a: any[]) => Promise<unknown> };
      mod.handler = meter.wrap(name, memoryMB, mod.handler);
    };
    // Status polls are the client's choice (this bench polls every 200 ms): counted apart.
    await wrapHandler('../functions/handlers/api', (e: { rawPath?: string; requestContext?: { http?: { method?: string } } }) =>
      e?.requestContext?.http?.method === 'GET' ? 'API: status polls' : 'API: create and start', LAMBDA_MEMORY_MB.api);
    await wrapHandler('../functions/handlers/start', 'Starter (S3 event)', LAMBDA_MEMORY_MB.starter);
    await wrapHandler('../functions/handlers/reconcile', 'Reconcile (execution end)', LAMBDA_MEMORY_MB.reconcile);
    await wrapHandler('../functions/handlers/analytics', ANALYTICS, LAMBDA_MEMORY_MB.analytics);

    const file = join(dir, 'p.fzip');
    await writePackageFile(syntheticPackage({ transactions: n, seed: 9 }), file);
    const client = new FzipClient({ api: stack.apiUrl, token: stack.issuer.sign('bench') });
    const t0 = Date.now();
    const created = await client.create({});
    await client.upload(created.uploadUrl, file);
    // the package's presigned POST, made by the client straight to S3
    meter.scope('Upload (client)').s3Requests.PostObject = 1;
    await client.start(created.importId);
    let job = await client.status(created.importId);
    while (!isFinishedJob(job)) {
      await new Promise((r) => setTimeout(r, 200));
      job = await client.status(created.importId);
    }
    const wallSeconds = (Date.now() - t0) / 1000;
    if (job.status !== 'completed') throw new Error(`import ended ${job.status}: ${job.errorMessage}`);
    const record = stack.machine.executions.get(created.importId)!;
    await record.done;
    await stack.machine.idle();
    await meter.settle();
    const events = record.events;
    const phases: Record<string, number> = {};
    for (const name of PHASES) {
      const at = (type: string) => events.find((e) => e.type === type && (e.state as { name?: string })?.name === name)?.timestamp as number | undefined;
      const start = at('StateEntered');
      const end = at('StateExited');
      if (start !== undefined && end !== undefined) phases[name] = (end - start) / 1000;
    }
    // Standard Workflows bill a transition per state entered (Map iterations' states included) and per retry.
    for (const e of events) {
      if (e.type !== 'StateEntered' && e.type !== 'StateRetried') continue;
      const state = (e.state as { name?: string })?.name ?? '';
      meter.scope(PHASES.find((p) => state.startsWith(p)) ?? 'Choice and end states').stateTransitions++;
    }
    for (const [name, s] of Object.entries(meter.scopes)) {
      s.scales = SCALING_PHASES.has(name);
      // A phase's Lambda time: the phase's duration (its invocations overlap in the Map, and share this machine's CPU)
      if (phases[name] !== undefined) s.lambdaSeconds = phases[name];
    }
    const { 'API: status polls': polls, ...scopes } = meter.scopes;
    const costs: MeasuredImport = {
      transactions: n,
      packageBytes: statSync(file).size,
      importSourceBytes: meter.putItemJsonBytes,
      itemsWritten: meter.putItems,
      scopes,
      excluded: polls ? { 'API: status polls': polls } : {},
    };
    process.stdout.write(JSON.stringify({ transactions: n, wallSeconds, phases, costs }) + '\n');
  } finally {
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
