/**
 * What a user has, read back directly (every item of every kind, every statement file with its
 * bytes and metadata), and packages that change all of it: the safety and undo tests compare
 * snapshots, never job statuses.
 */
import { randomUUID } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { syntheticPackage } from '../../cli/synthetic-package';
import { ENTITY_KINDS } from '../../functions/fzip/entities';
import { PlainRecord } from '../../functions/fzip/normalize';
import { materialize, packageBuffer } from './packages';
import { WorkflowHarness } from './workflow-harness';

export interface UserSnapshot {
  items: Record<string, unknown[]>;
  objects: Record<string, { bytes: string; meta: unknown }>;
}

/** Everything a user has: every item of every kind, and every statement file with its bytes and metadata. */
export async function snapshot(h: WorkflowHarness, user: string): Promise<UserSnapshot> {
  const items: Record<string, unknown[]> = {};
  for (const kind of ENTITY_KINDS) {
    items[kind] = (await h.items(kind, user)).sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
  }
  const objects: UserSnapshot['objects'] = {};
  let token: string | undefined;
  do {
    const listed = await h.servers.s3.send(new ListObjectsV2Command({ Bucket: h.filesBucket, Prefix: `${user}/`, ContinuationToken: token }));
    for (const o of listed.Contents ?? []) {
      const got = await h.servers.s3.send(new GetObjectCommand({ Bucket: h.filesBucket, Key: o.Key }));
      objects[o.Key as string] = { bytes: await got.Body!.transformToString(), meta: got.Metadata };
    }
    token = listed.IsTruncated ? listed.NextContinuationToken : undefined;
  } while (token);
  return { items, objects };
}

/**
 * The synthetic package of (transactions, seed) with every record changed (marked with `tag`),
 * statement files with new bytes, and 100 new transactions.
 */
export async function changedPackage(transactions: number, seed: number, tag = 'changed'): Promise<Buffer> {
  const base = syntheticPackage({ transactions, accounts: 2, files: 3, seed });
  const data = await materialize(base);
  const mark = (r: PlainRecord, f: string) => ({ ...r, [f]: `${String(r[f] ?? '')} (${tag})` });
  const files = [...(base.files ?? [])].map((f) => ({ ...f, content: Buffer.from(`${tag} bytes of ${f.fileName}\n`) }));
  const fresh = data.transactions.slice(0, 100).map((t) => ({ ...t, transactionId: randomUUID() }));
  return packageBuffer({
    accounts: data.accounts.map((r) => mark(r, 'accountName')),
    categories: data.categories.map((r) => mark(r, 'name')),
    fileMaps: data.fileMaps.map((r) => mark(r, 'name')),
    transactionFiles: data.transactionFiles.map((r) => ({ ...r, fileSize: files.find((f) => f.fileId === r.fileId)?.content.length })),
    transactions: [...data.transactions.map((r) => ({ ...mark(r, 'description'), amount: '1.23' })), ...fresh],
    files,
  });
}
