import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchPut, BatchWriteIncompleteError } from '../../../functions/entities/batch-writer';

// dynalite never returns UnprocessedItems, so this path is driven by a mocked client.
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const ddb = mockClient(doc);
afterEach(() => ddb.reset());

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ pk: 'u', sk: `id-${i}` }));

describe('batchPut', () => {
  it('writes in groups of 25', async () => {
    ddb.on(BatchWriteCommand).resolves({});
    await batchPut(doc, 'T', items(60), { sleep: async () => undefined });
    const sizes = ddb.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems!.T.length);
    expect(sizes.sort()).toEqual([10, 25, 25]);
  });

  it('resends UnprocessedItems with growing, capped, jittered delays until all are written', async () => {
    const unprocessed = (n: number) => ({ UnprocessedItems: { T: items(n).map((Item) => ({ PutRequest: { Item } })) } });
    ddb.on(BatchWriteCommand).resolvesOnce(unprocessed(20)).resolvesOnce(unprocessed(5)).resolvesOnce(unprocessed(1)).resolves({});
    const delays: number[] = [];
    await batchPut(doc, 'T', items(25), { sleep: async (ms) => void delays.push(ms), random: () => 1, baseDelayMs: 100, maxDelayMs: 300 });
    expect(ddb.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems!.T.length)).toEqual([25, 20, 5, 1]);
    expect(delays).toEqual([200, 300, 300]);
  });

  it('gives up with BatchWriteIncompleteError (retried by the state machine) when throttling never ends', async () => {
    ddb.on(BatchWriteCommand).resolves({ UnprocessedItems: { T: [{ PutRequest: { Item: { pk: 'u', sk: 'x' } } }] } });
    await expect(batchPut(doc, 'T', items(3), { sleep: async () => undefined, maxAttempts: 4 })).rejects.toMatchObject({
      name: 'BatchWriteIncompleteError',
      unprocessed: 1,
    });
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(4);
    expect(new BatchWriteIncompleteError(1)).toBeInstanceOf(Error);
  });
});
