/**
 * Makes s3rver's filesystem store behave like S3 when the process is killed: an acknowledged
 * PUT or COPY is there in full after a restart, and one cut short is not there at all.
 *
 * s3rver answers a PUT before its write stream has flushed (a kill -9 right after loses or
 * truncates what it acknowledged: a journal part the import relied on) and writes the object,
 * its MD5 and its metadata as three files in place (a kill between them leaves a torn object).
 * Here every file is written whole to a temporary name and renamed over the old one (atomic),
 * the write finishes before the answer, and the metadata lands before the object: s3rver sees an
 * object only when its data file exists, so a kill between the two renames leaves either the old
 * object with the new metadata (a rollback then treats the key as written by the new import and
 * puts back the old bytes) or no object at all. A delete removes the data file first, for the
 * same reason. A kill of the process keeps what the kernel was given, so no fsync is needed for
 * what the crash test does (a power cut is another matter, and not a stand-in's job).
 */
import { randomBytes } from 'node:crypto';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

interface S3rverObject {
  bucket: string;
  key: string;
  content: Buffer | Readable;
  metadata: Record<string, string>;
}

interface FilesystemStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
  putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5?: string): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Store = require('s3rver/lib/stores/filesystem') as { prototype: FilesystemStore & Record<string, unknown> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3Object = require('s3rver/lib/models/object') as { ALLOWED_METADATA: string[] };

/** A temporary name in the same folder (a rename stays on one filesystem), short: key segments may be long already. */
const tmpName = (path: string) => join(dirname(path), `.${randomBytes(6).toString('hex')}`);

/** Writes a file whole under a temporary name, then renames it into place. */
async function writeAtomically(path: string, data: string | Buffer): Promise<void> {
  const tmp = tmpName(path);
  await fs.writeFile(tmp, data);
  await fs.rename(tmp, path);
}

let applied = false;

export function makeS3rverDurable(): void {
  if (applied) return;
  applied = true;
  const proto = Store.prototype;

  proto.putMetadata = async function (this: FilesystemStore, bucket: string, key: string, metadata: Record<string, string>, md5?: string): Promise<void> {
    const json: Record<string, string> = {};
    for (const [k, v] of Object.entries(metadata ?? {})) if (S3Object.ALLOWED_METADATA.includes(k) || k.startsWith('x-amz-meta-')) json[k] = v;
    if (md5) await writeAtomically(this.getResourcePath(bucket, key, 'object.md5'), md5);
    await writeAtomically(this.getResourcePath(bucket, key, 'metadata.json'), JSON.stringify(json, null, 2));
  };

  proto.putObject = async function (this: FilesystemStore, object: S3rverObject): Promise<{ size: number; md5: string }> {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
    await fs.mkdir(dirname(objectPath), { recursive: true });
    const tmp = tmpName(objectPath);
    const md5 = createHash('md5');
    let size = 0;
    const source = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content;
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            md5.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(tmp),
      );
      const digest = md5.digest('hex');
      await this.putMetadata(object.bucket, object.key, object.metadata, digest);
      await fs.rename(tmp, objectPath);
      return { size, md5: digest };
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
  };

  proto.copyObject = async function (
    this: FilesystemStore,
    srcBucket: string,
    srcKey: string,
    destBucket: string,
    destKey: string,
    replacementMetadata?: Record<string, string>,
  ): Promise<Record<string, string>> {
    const src = this.getResourcePath(srcBucket, srcKey, 'object');
    const dest = this.getResourcePath(destBucket, destKey, 'object');
    const metadata = replacementMetadata ?? (await this.getMetadata(srcBucket, srcKey));
    const md5 = await fs.readFile(this.getResourcePath(srcBucket, srcKey, 'object.md5'), 'utf8').catch(() => undefined);
    if (src === dest) {
      await this.putMetadata(destBucket, destKey, metadata, md5);
      return this.getMetadata(destBucket, destKey);
    }
    await fs.mkdir(dirname(dest), { recursive: true });
    const tmp = tmpName(dest);
    try {
      await pipeline(createReadStream(src), createWriteStream(tmp));
      await this.putMetadata(destBucket, destKey, metadata, md5);
      await fs.rename(tmp, dest);
    } catch (err) {
      await fs.rm(tmp, { force: true });
      throw err;
    }
    return this.getMetadata(destBucket, destKey);
  };

  proto.deleteObject = async function (this: FilesystemStore, bucket: string, key: string): Promise<void> {
    // the data file first: without it s3rver sees no object, whatever is left beside it
    for (const resource of ['object', 'object.md5', 'metadata.json']) {
      await fs.unlink(this.getResourcePath(bucket, key, resource)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  };
}
