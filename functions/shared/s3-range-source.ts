/**
 * A package in S3 as a RangeSource: yauzl reads it through ranged GETs, never downloading it
 * whole. The source is pinned to the ETag it was opened with (or the one validation recorded):
 * every ranged GET carries If-Match and its answer's ETag is checked too, so a package swapped
 * after validation (the upload form stays usable for a while) can never be read half old, half new.
 */
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PassThrough, Readable } from 'node:stream';
import { RangeSource } from '../fzip/source';

export class PackageChangedError extends Error {
  constructor(key: string) {
    super(`the package ${key.split('/').pop()} changed after it was validated; the import stops (upload it again in a new import)`);
    this.name = 'PackageChangedError';
  }
}

export class S3RangeSource implements RangeSource {
  private constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    readonly size: number,
    readonly etag: string | undefined,
  ) {}

  get name(): string {
    return this.key.split('/').pop() ?? this.key;
  }

  /** Opens the object; with `expectedETag`, fails with PackageChangedError unless it is still that version. */
  static async open(s3: S3Client, bucket: string, key: string, expectedETag?: string): Promise<S3RangeSource> {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...(expectedETag ? { IfMatch: expectedETag } : {}) })).catch((err) => {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (expectedETag && (status === 412 || status === 404)) throw new PackageChangedError(key);
      throw err;
    });
    if (expectedETag && head.ETag !== expectedETag) throw new PackageChangedError(key);
    return new S3RangeSource(s3, bucket, key, head.ContentLength ?? 0, head.ETag);
  }

  readRange(start: number, end: number): Readable {
    const out = new PassThrough();
    if (end <= start) {
      out.end();
      return out;
    }
    this.s3
      .send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key, Range: `bytes=${start}-${end - 1}`, ...(this.etag ? { IfMatch: this.etag } : {}) }))
      .then((res) => {
        const body = res.Body as Readable;
        if (this.etag && res.ETag && res.ETag !== this.etag) {
          body.destroy?.();
          out.destroy(new PackageChangedError(this.key));
          return;
        }
        body.on('error', (err) => out.destroy(err));
        body.pipe(out);
      })
      .catch((err) => {
        const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        out.destroy(status === 412 ? new PackageChangedError(this.key) : err);
      });
    return out;
  }
}
