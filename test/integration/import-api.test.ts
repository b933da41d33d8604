import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { PutObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { ApiHarness, postForm, startApiHarness } from '../helpers/api-harness';
import { housef3Package } from '../helpers/housef3-package';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  await h.stop();
});

const token = (user: string) => h.issuer.sign(user);

async function createJob(user: string, body: Record<string, unknown> = {}) {
  const res = await h.call({ method: 'POST', path: '/import', body: JSON.stringify(body) }, token(user));
  expect(res.statusCode).toBe(201);
  return res.json as { importId: string; uploadUrl: { url: string; fields: Record<string, string> } };
}

async function exists(key: string): Promise<boolean> {
  try {
    await h.servers.s3.send(new HeadObjectCommand({ Bucket: h.bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

describe('authentication', () => {
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  it.each<[string, () => Record<string, string>]>([
    ['no Authorization header', () => ({})],
    ['a header that is not a bearer token', () => ({ authorization: 'Basic dXNlcjpwYXNz' })],
    ['a garbage token', () => ({ authorization: 'Bearer abc.def.ghi' })],
    ['a forged token (signed by another key)', () => ({ authorization: `Bearer ${h.issuer.sign('u1', { key: otherKey })}` })],
    ['an expired token', () => ({ authorization: `Bearer ${h.issuer.sign('u1', { now: Date.now() - 7200_000, ttlSeconds: 60 })}` })],
    ['a token for another audience', () => ({ authorization: `Bearer ${h.issuer.sign('u1', { audience: 'someone-else' })}` })],
    ['a token from another issuer', () => ({ authorization: `Bearer ${h.issuer.sign('u1', { issuer: 'https://evil.example' })}` })],
    ['a token without exp', () => ({ authorization: `Bearer ${h.issuer.sign('u1', { omitExp: true })}` })],
    // the subject starts every key of the user: too long, a path, or a key separator is refused
    ['a subject of 900 characters', () => ({ authorization: `Bearer ${h.issuer.sign('u'.repeat(900))}` })],
    ['a subject with a slash', () => ({ authorization: `Bearer ${h.issuer.sign('a/b')}` })],
    ['a subject ".."', () => ({ authorization: `Bearer ${h.issuer.sign('..')}` })],
    ['a subject with "#"', () => ({ authorization: `Bearer ${h.issuer.sign('a#1')}` })],
  ])('refuses %s with 401 on every route', async (_name, headers) => {
    for (const [method, path] of [
      ['POST', '/import'],
      ['GET', '/import'],
      ['GET', `/import/${randomUUID()}/status`],
      ['DELETE', `/import/${randomUUID()}`],
      ['POST', `/import/${randomUUID()}/upload`],
    ]) {
      const res = await h.api().handle({ method, path, headers: headers(), query: {} });
      expect(res.statusCode).toBe(401);
      expect(JSON.parse(res.body)).toEqual({ error: { code: 'UNAUTHORIZED', message: 'missing or invalid bearer token' } });
    }
  });
});

describe('POST /import', () => {
  it('creates a job with defaults and a presigned POST bound to the key and size range', async () => {
    const user = `user-${randomUUID()}`;
    const res = await h.call({ method: 'POST', path: '/import' }, token(user));
    expect(res.statusCode).toBe(201);
    const body = res.json;
    expect(body).toMatchObject({ status: 'uploaded', packageFormat: 'fzip', expiresIn: 600, message: expect.any(String) });
    expect(body.importId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.uploadUrl.fields.key).toBe(`uploads/${user}/${body.importId}.fzip`);
    const policy = JSON.parse(Buffer.from(body.uploadUrl.fields.Policy, 'base64').toString('utf8'));
    expect(policy.conditions).toEqual(
      expect.arrayContaining([
        ['content-length-range', 1, 1024 * 1024],
        ['eq', '$key', `uploads/${user}/${body.importId}.fzip`],
        { bucket: h.bucket },
      ]),
    );
    expect(new Date(policy.expiration).getTime()).toBeLessThanOrEqual(Date.now() + 601_000);
    const status = await h.call({ method: 'GET', path: `/import/${body.importId}/status` }, token(user));
    expect(status.json).toMatchObject({ status: 'uploaded', mergeStrategy: 'fail_on_conflict', validateOnly: false, progress: 0 });
    const job = await h.jobs.get(body.importId);
    expect(job!.expiresAt).toBeGreaterThan(Date.now() / 1000 + 86000);
    expect(job!.expiresAt).toBeLessThan(Date.now() / 1000 + 86500);
  });

  it('stores the requested strategy, validateOnly and format', async () => {
    const user = `user-${randomUUID()}`;
    const { importId } = await createJob(user, { mergeStrategy: 'skip_existing', validateOnly: true, packageFormat: 'json' });
    const status = await h.call({ method: 'GET', path: `/import/${importId}/status` }, token(user));
    expect(status.json).toMatchObject({ mergeStrategy: 'skip_existing', validateOnly: true, packageFormat: 'json' });
  });

  it.each<[string, string, string[]]>([
    ['an unknown field', '{"mergeStrategy":"overwrite","colour":"red"}', ['colour']],
    ['a bad merge strategy', '{"mergeStrategy":"merge"}', ['mergeStrategy']],
    ['a non-boolean validateOnly', '{"validateOnly":"yes"}', ['validateOnly']],
    ['a bad package format', '{"packageFormat":"xml"}', ['packageFormat']],
    ['two bad fields', '{"validateOnly":1,"packageFormat":"xml"}', ['validateOnly', 'packageFormat']],
  ])('refuses %s with 400 naming the field', async (_n, body, fields) => {
    const res = await h.call({ method: 'POST', path: '/import', body }, token('u-400'));
    expect(res.statusCode).toBe(400);
    expect(res.json.error.code).toBe('INVALID_REQUEST');
    expect(res.json.error.details.map((d: { field: string }) => d.field)).toEqual(fields);
  });

  it('takes the documented largest filter (1,000 account ids)', async () => {
    const accountIds = Array.from({ length: 1000 }, () => randomUUID());
    const res = await h.call({ method: 'POST', path: '/import', body: JSON.stringify({ mergeStrategy: 'overwrite', filter: { accountIds } }) }, token(`user-${randomUUID()}`));
    expect(res.statusCode).toBe(201);
  });

  it('refuses a body that is not a JSON object with 400 and an oversized one with 413', async () => {
    expect((await h.call({ method: 'POST', path: '/import', body: '{nope' }, token('u'))).statusCode).toBe(400);
    expect((await h.call({ method: 'POST', path: '/import', body: '[1]' }, token('u'))).statusCode).toBe(400);
    const big = await h.call({ method: 'POST', path: '/import', body: JSON.stringify({ x: 'a'.repeat(70000) }) }, token('u'));
    expect(big.statusCode).toBe(413);
    expect(big.json.error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a fourth unfinished import with 429', async () => {
    const user = `user-${randomUUID()}`;
    for (let i = 0; i < 3; i++) await createJob(user);
    const res = await h.call({ method: 'POST', path: '/import' }, token(user));
    expect(res.statusCode).toBe(429);
    expect(res.json.error.code).toBe('TOO_MANY_IMPORTS');
    // another user is not affected
    expect((await h.call({ method: 'POST', path: '/import' }, token(`user-${randomUUID()}`))).statusCode).toBe(201);
  });

  it('never lets 20 parallel creates pass the limit of 3 (a conditional slot, not a count over an index)', async () => {
    const user = `user-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 20 }, () => h.call({ method: 'POST', path: '/import' }, token(user))));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(3);
    expect(results.filter((r) => r.statusCode === 429)).toHaveLength(17);
    const list = await h.call({ method: 'GET', path: '/import' }, token(user));
    expect(list.json.importJobs).toHaveLength(3);
  });

  it('frees the slot of a canceled or deleted job', async () => {
    const user = `user-${randomUUID()}`;
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await createJob(user)).importId);
    const cancel = await h.call({ method: 'POST', path: `/import/${ids[0]}/cancel` }, token(user));
    expect(cancel.statusCode).toBe(200);
    expect(cancel.json).toMatchObject({ status: 'canceled' });
    expect((await h.call({ method: 'DELETE', path: `/import/${ids[1]}` }, token(user))).statusCode).toBe(204);
    expect((await h.call({ method: 'POST', path: '/import' }, token(user))).statusCode).toBe(201);
    expect((await h.call({ method: 'POST', path: '/import' }, token(user))).statusCode).toBe(201);
    expect((await h.call({ method: 'POST', path: '/import' }, token(user))).statusCode).toBe(429);
  });
});

describe('cancel and undo: what the API refuses', () => {
  it('refuses to cancel a finished import (409) and to undo one that has not completed (409)', async () => {
    const user = `user-${randomUUID()}`;
    const { importId } = await createJob(user);
    expect((await h.call({ method: 'POST', path: `/import/${importId}/undo` }, token(user))).json.error.code).toBe('NOT_UNDOABLE');
    await h.call({ method: 'POST', path: `/import/${importId}/cancel` }, token(user));
    const again = await h.call({ method: 'POST', path: `/import/${importId}/cancel` }, token(user));
    expect(again.statusCode).toBe(409);
    expect(again.json.error.code).toBe('NOT_CANCELABLE');
  });

  it('validates the undo body and answers 404 for another user', async () => {
    const user = `user-${randomUUID()}`;
    const { importId } = await createJob(user);
    const bad = await h.call({ method: 'POST', path: `/import/${importId}/undo`, body: '{"force": "yes", "x": 1}' }, token(user));
    expect(bad.statusCode).toBe(400);
    expect(bad.json.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['force', 'x']);
    for (const tail of ['cancel', 'undo']) {
      const other = await h.call({ method: 'POST', path: `/import/${importId}/${tail}` }, token('someone-else'));
      expect(other.statusCode).toBe(404);
    }
  });
});

describe('upload and POST /import/{id}/upload', () => {
  it('accepts the package through the presigned POST and starts exactly one run', async () => {
    const user = `user-${randomUUID()}`;
    const { importId, uploadUrl } = await createJob(user);
    const before = h.starter.starts.length;
    expect(await postForm(uploadUrl, housef3Package())).toBeLessThan(300);

    const res = await h.call({ method: 'POST', path: `/import/${importId}/upload` }, token(user));
    expect(res.statusCode).toBe(202);
    expect(res.json).toEqual({ message: expect.any(String), importId, status: 'validating', packageFormat: 'fzip' });
    const again = await h.call({ method: 'POST', path: `/import/${importId}/upload` }, token(user));
    expect(again.statusCode).toBe(409);
    expect(h.starter.starts.slice(before)).toEqual([
      { importId, userId: user, bucket: h.bucket, packageKey: `uploads/${user}/${importId}.fzip`, action: 'import', name: importId },
    ]);
    const status = await h.call({ method: 'GET', path: `/import/${importId}/status` }, token(user));
    expect(status.json).toMatchObject({
      status: 'validating',
      packageSize: housef3Package().length,
      executionName: importId,
    });
  });

  it('starts concurrent duplicate requests only once', async () => {
    const user = `user-${randomUUID()}`;
    const { importId, uploadUrl } = await createJob(user);
    await postForm(uploadUrl, housef3Package());
    const results = await Promise.all(
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(() => h.call({ method: 'POST', path: `/import/${importId}/upload` }, token(user))),
    );
    // as the contract says: one call starts it (202), the others are told it already started (409)
    expect(results.filter((r) => r.statusCode === 202)).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 409).map((r) => r.json.error.code)).toEqual(Array(9).fill('ALREADY_STARTED'));
    expect(new Set(h.starter.starts.filter((s) => s.importId === importId).map((s) => s.importId)).size).toBe(1);
  });

  it('answers 409 when no package has been uploaded yet', async () => {
    const user = `user-${randomUUID()}`;
    const { importId } = await createJob(user);
    const res = await h.call({ method: 'POST', path: `/import/${importId}/upload` }, token(user));
    expect(res.statusCode).toBe(409);
    expect(res.json.error.message).toContain('no package');
  });

  it('fails the job with a clear message when the package is above the size limit (413)', async () => {
    const user = `user-${randomUUID()}`;
    const small = h.api({ maxPackageBytes: 100 });
    const { importId } = await createJob(user);
    await h.servers.s3.send(
      new PutObjectCommand({ Bucket: h.bucket, Key: `uploads/${user}/${importId}.fzip`, Body: Buffer.alloc(500) }),
    );
    const res = await h.call({ method: 'POST', path: `/import/${importId}/upload` }, token(user), small);
    expect(res.statusCode).toBe(413);
    const status = await h.call({ method: 'GET', path: `/import/${importId}/status` }, token(user));
    expect(status.json).toMatchObject({ status: 'failed', errorMessage: 'the package is 500 bytes; the limit is 100 bytes' });
  });
});

describe('ownership', () => {
  it("answers 404 for another user's job on every route, with the body of a missing job", async () => {
    const owner = `user-${randomUUID()}`;
    const { importId, uploadUrl } = await createJob(owner);
    await postForm(uploadUrl, housef3Package());
    const intruder = token(`user-${randomUUID()}`);
    const missing = randomUUID();
    for (const [method, suffix] of [
      ['GET', '/status'],
      ['DELETE', ''],
      ['POST', '/upload'],
    ]) {
      const theirs = await h.call({ method, path: `/import/${importId}${suffix}` }, intruder);
      const none = await h.call({ method, path: `/import/${missing}${suffix}` }, intruder);
      expect(theirs.statusCode).toBe(404);
      expect(theirs.body).toBe(none.body);
    }
    const malformed = await h.call({ method: 'GET', path: '/import/not-a-uuid/status' }, intruder);
    expect(malformed.statusCode).toBe(404);
    // nothing happened to the owner's job
    const status = await h.call({ method: 'GET', path: `/import/${importId}/status` }, token(owner));
    expect(status.json.status).toBe('uploaded');
    expect(await exists(`uploads/${owner}/${importId}.fzip`)).toBe(true);
  });
});

describe('GET /import', () => {
  it('lists the caller’s jobs newest first across pages with an opaque cursor', async () => {
    const user = `user-${randomUUID()}`;
    const api = h.api({ jobs: h.jobs });
    const many = await startOwnStore(10);
    const created: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await h.call({ method: 'POST', path: '/import' }, token(user), many);
      created.push(res.json.importId);
      await new Promise((r) => setTimeout(r, 3));
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: Record<string, string> = { limit: '2' };
      if (cursor) query.lastEvaluatedKey = cursor;
      const res = await h.call({ method: 'GET', path: '/import', query }, token(user), api);
      expect(res.statusCode).toBe(200);
      seen.push(...res.json.importJobs.map((j: { importId: string }) => j.importId));
      for (const j of res.json.importJobs) expect(j).not.toHaveProperty('validationResults');
      cursor = res.json.nextEvaluatedKey;
      if (cursor) expect(() => JSON.parse(cursor as string)).toThrow();
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual([...created].reverse());
    expect(pages).toBe(3);
  });

  it("refuses a cursor from another user's list and a tampered one with 400", async () => {
    const a = `user-${randomUUID()}`;
    const many = await startOwnStore(10);
    for (let i = 0; i < 3; i++) await h.call({ method: 'POST', path: '/import' }, token(a), many);
    const first = await h.call({ method: 'GET', path: '/import', query: { limit: '1' } }, token(a));
    const cursor = first.json.nextEvaluatedKey as string;
    expect(cursor).toEqual(expect.any(String));
    const stolen = await h.call({ method: 'GET', path: '/import', query: { limit: '1', lastEvaluatedKey: cursor } }, token('someone-else'));
    expect(stolen.statusCode).toBe(400);
    expect(stolen.json.error.code).toBe('INVALID_CURSOR');
    const forged = Buffer.from(JSON.stringify({ u: 'someone-else', k: { userId: 'someone-else' } })).toString('base64url') + '.x';
    const res = await h.call({ method: 'GET', path: '/import', query: { lastEvaluatedKey: forged } }, token('someone-else'));
    expect(res.statusCode).toBe(400);
    // a real cursor of the jobs list, given to the exports list
    const crossed = await h.call({ method: 'GET', path: '/export', query: { lastEvaluatedKey: cursor } }, token(a));
    expect(crossed.statusCode).toBe(400);
    expect(crossed.json.error).toMatchObject({ code: 'INVALID_CURSOR', details: [{ field: 'lastEvaluatedKey', message: 'is not valid' }] });
  });

  it('refuses a bad limit with 400', async () => {
    for (const limit of ['0', '101', 'ten', '-1']) {
      const res = await h.call({ method: 'GET', path: '/import', query: { limit } }, token('u'));
      expect(res.statusCode).toBe(400);
    }
  });
});

describe('DELETE /import/{id}', () => {
  it('removes the job, its package and its staging objects', async () => {
    const user = `user-${randomUUID()}`;
    const { importId, uploadUrl } = await createJob(user);
    await postForm(uploadUrl, housef3Package());
    await h.servers.s3.send(new PutObjectCommand({ Bucket: h.bucket, Key: `staging/${importId}/accounts/0.ndjson`, Body: 'x' }));
    const res = await h.call({ method: 'DELETE', path: `/import/${importId}` }, token(user));
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(await h.jobs.get(importId)).toBeUndefined();
    expect(await exists(`uploads/${user}/${importId}.fzip`)).toBe(false);
    expect(await exists(`staging/${importId}/accounts/0.ndjson`)).toBe(false);
    expect((await h.call({ method: 'GET', path: `/import/${importId}/status` }, token(user))).statusCode).toBe(404);
  });

  it('answers 409 while the import is running', async () => {
    const user = `user-${randomUUID()}`;
    const { importId, uploadUrl } = await createJob(user);
    await postForm(uploadUrl, housef3Package());
    await h.call({ method: 'POST', path: `/import/${importId}/upload` }, token(user));
    const res = await h.call({ method: 'DELETE', path: `/import/${importId}` }, token(user));
    expect(res.statusCode).toBe(409);
    expect(await h.jobs.get(importId)).toMatchObject({ importId });
  });
});

describe('errors', () => {
  it('answers unknown routes with 404 and never leaks a stack trace on failure (500)', async () => {
    expect((await h.call({ method: 'GET', path: '/nothing' }, token('u'))).statusCode).toBe(404);
    expect((await h.call({ method: 'PUT', path: `/import/${randomUUID()}/status` }, token('u'))).statusCode).toBe(404);
    const broken = await startOwnStore(3, 'no-such-table');
    const res = await h.call({ method: 'GET', path: '/import' }, token('u'), broken);
    expect(res.statusCode).toBe(500);
    expect(res.json).toEqual({ error: { code: 'INTERNAL_ERROR', message: expect.any(String) } });
    expect(res.body).not.toMatch(/at .*\.ts|ResourceNotFound/);
  });
});

async function startOwnStore(limit: number, tableName = h.tableName) {
  const { JobStore } = await import('../../functions/jobs/job-store');
  return h.api({
    jobs: new JobStore(h.servers.doc, { tableName, retentionDays: 7, pendingTtlSeconds: 86400, maxUnfinishedJobsPerUser: limit }),
  });
}
