/** A package in S3 as a RangeSource: yauzl reads it through ranged GETs, never downloading it whole. */
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PassThrough, Readable } from 'node:stream';
import { RangeSource } from '../fzip/source';

export class S3RangeSource implements RangeSource {
  private constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    readonly size: number,
  ) {}

  get name(): string {
    return this.key.split('/').pop() ?? this.key;
  }

  static async open(s3: S3Client, bucket: string, key: string): Promise<S3RangeSource> {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return new S3RangeSource(s3, bucket, key, head.ContentLength ?? 0);
  }

  readRange(start: number, end: number): Readable {
    const out = new PassThrough();
    if (end <= start) {
      out.end();
      return out;
    }
    this.s3
      .send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key, Range: `bytes=${start}-${end - 1}` }))
      .then((res) => {
        const body = res.Body as Readable;
        body.on('error', (err) => out.destroy(err));
        body.pipe(out);
      })
      .catch((err) => out.destroy(err));
    return out;
  }
}
