/**
 * The packages bucket: where a user's upload lands (uploads/{userId}/{importId}.fzip) and the
 * workflow's staging objects (staging/{importId}/...). Keys are built here only, from ids the
 * server generated: never from anything a client sent.
 */
import {
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectsV2CommandOutput,
  NotFound,
  S3Client,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';

export interface PresignedUpload {
  url: string;
  fields: Record<string, string>;
  expiresIn: number;
}

export function packageKey(userId: string, importId: string): string {
  return `uploads/${userId}/${importId}.fzip`;
}

export function stagingPrefix(importId: string): string {
  return `staging/${importId}/`;
}

/** The import's write journal (before-images; see functions/entities/journal.ts). */
export function journalPrefix(importId: string): string {
  return `journal/${importId}/`;
}

/** Parses uploads/{userId}/{importId}.fzip; undefined for any other key. */
export function parsePackageKey(key: string): { userId: string; importId: string } | undefined {
  const m = /^uploads\/([^/]{1,128})\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.fzip$/.exec(key);
  return m ? { userId: m[1], importId: m[2] } : undefined;
}

export class PackageStore {
  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  /** A browser-usable POST form for exactly this key, with the size range in its signed policy. */
  async presignUpload(key: string, maxBytes: number, expiresIn: number): Promise<PresignedUpload> {
    const { url, fields } = await createPresignedPost(this.s3, {
      Bucket: this.bucket,
      Key: key,
      Conditions: [
        ['content-length-range', 1, maxBytes],
        ['eq', '$key', key],
      ],
      Expires: expiresIn,
    });
    return { url, fields, expiresIn };
  }

  /** The package's size, or undefined when nothing was uploaded. */
  async packageSize(key: string): Promise<number | undefined> {
    return (await this.packageHead(key))?.size;
  }

  /** Size and ETag of the uploaded package, or undefined when nothing was uploaded. */
  async packageHead(key: string): Promise<{ size: number; etag?: string } | undefined> {
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return { size: out.ContentLength ?? 0, etag: out.ETag };
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (err instanceof NotFound || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) return undefined;
      throw err;
    }
  }

  /** Deletes the package, the staging objects and the journal of an import; returns how many were removed. */
  async deleteImportObjects(key: string, importId: string): Promise<number> {
    return this.deleteObjects(key, [stagingPrefix(importId), journalPrefix(importId)], `import ${importId}`);
  }

  /** Deletes an export's package and its staging objects. */
  async deleteExportObjects(key: string, exportId: string): Promise<number> {
    return this.deleteObjects(key, [`export-staging/${exportId}/`], `export ${exportId}`);
  }

  private async deleteObjects(key: string, prefixes: string[], what: string): Promise<number> {
    let removed = 0;
    const keys: string[] = [key];
    for (const prefix of prefixes) {
      let token: string | undefined;
      do {
        const out: ListObjectsV2CommandOutput = await this.s3.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of out.Contents ?? []) if (o.Key) keys.push(o.Key);
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
    }
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const out = await this.s3.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
      );
      if (out.Errors?.length) throw new Error(`could not delete ${out.Errors.length} object(s) of ${what}`);
      removed += batch.length;
    }
    return removed;
  }
}
