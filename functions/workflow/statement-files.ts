/** Statement files in the files bucket: what is at a key, and which import wrote it. */
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** Object metadata naming the import that wrote a statement file (rollback checks it). */
export const IMPORT_ID_METADATA = 'import-id';

/** What is at a files-bucket key now (its ETag and writer), or undefined. */
export async function headFile(s3: S3Client, bucket: string, key: string): Promise<{ etag?: string; importId?: string } | undefined> {
  try {
    const out = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { etag: out.ETag, importId: out.Metadata?.[IMPORT_ID_METADATA] };
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) return undefined;
    throw err;
  }
}
