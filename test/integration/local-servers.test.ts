import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { LocalServers, startLocalServers } from '../../local/servers';

let servers: LocalServers;
beforeAll(async () => {
  servers = await startLocalServers({ buckets: ['paging'], tables: [] });
});
afterAll(() => servers.stop());

describe('the S3 stand-in', () => {
  it('pages a listing: truncated pages with a continuation token, or StartAfter, reach every key', async () => {
    const keys = Array.from({ length: 25 }, (_, i) => `p/${String(i).padStart(3, '0')}`);
    for (const Key of keys) await servers.s3.send(new PutObjectCommand({ Bucket: 'paging', Key, Body: 'x' }));
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await servers.s3.send(new ListObjectsV2Command({ Bucket: 'paging', Prefix: 'p/', MaxKeys: 10, ContinuationToken: token }));
      seen.push(...(page.Contents ?? []).map((o) => o.Key as string));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    expect(seen).toEqual(keys);
    const after = await servers.s3.send(new ListObjectsV2Command({ Bucket: 'paging', Prefix: 'p/', MaxKeys: 10, StartAfter: keys[19] }));
    expect((after.Contents ?? []).map((o) => o.Key)).toEqual(keys.slice(20));
  });
});
