import type { S3Client } from '@aws-sdk/client-s3';
import { generationOutputPrefix } from '@genledger/core/contracts/outputs';
import { memo } from '@genledger/core/memo';
import type { OutputStore, StoredOutput } from '@genledger/core/ports/output-store';
import { mediaTypeOfKey, UUID } from './output-keys.ts';

const isMissing = (e: unknown) =>
  e instanceof Error && (e.name === 'NoSuchKey' || e.name === 'NotFound' || e.name === 'NoSuchBucket');

/**
 * Outputs as objects of one private S3 bucket (deployed; fauxqs' S3 in the sim and the tests),
 * each with its content type, handed out as presigned GETs that expire after `ttlS` (SigV4 allows
 * up to 7 days; a link signed with a Lambda role's session credentials stops working when they do).
 * The SDK (about 600 KB of modules) loads on the store's first use, not at import: a cold start
 * that never touches an output never pays for it (docs/benchmarks.md#cold-start).
 */
export function s3OutputStore(options: {
  bucket: string;
  ttlS: number;
  region?: string;
  /** Another S3 endpoint (fauxqs, MinIO): requests then use path-style URLs. */
  endpoint?: string;
  /** Default: the SDK's chain (a Lambda's role; the sim's variables). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}): OutputStore {
  const { bucket } = options;
  const region = options.region ?? 'us-east-1';
  const loaded = memo(async () => {
    const [sdk, { presignedGets }] = await Promise.all([
      import('@aws-sdk/client-s3'),
      import('./s3-presigned-get.ts'),
    ]);
    const client: S3Client = new sdk.S3Client({
      region,
      ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    });
    const presign = presignedGets(client, {
      bucket,
      region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    });
    return { sdk, client, presign };
  });
  return {
    async put(key, body, contentType) {
      if (!mediaTypeOfKey(key)) throw new Error('not an output key');
      const { sdk, client } = await loaded();
      await client.send(
        new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
      );
    },
    async read(key): Promise<StoredOutput | undefined> {
      const contentType = mediaTypeOfKey(key);
      if (!contentType) return undefined;
      const { sdk, client } = await loaded();
      try {
        const object = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
        const bytes = await object.Body?.transformToByteArray();
        return bytes ? { body: new Uint8Array(bytes), contentType } : undefined;
      } catch (e) {
        if (isMissing(e)) return undefined;
        throw e;
      }
    },
    async signedUrl(key) {
      if (!mediaTypeOfKey(key)) throw new Error('not an output key');
      return (await loaded()).presign(key, options.ttlS);
    },
    async deleteGeneration(generationId) {
      if (!UUID.test(generationId)) return;
      const { sdk, client } = await loaded();
      // A generation holds at most MAX_OUTPUTS_PER_GENERATION objects: one page, one delete.
      let token: string | undefined;
      do {
        const page = await client.send(
          new sdk.ListObjectsV2Command({
            Bucket: bucket,
            Prefix: generationOutputPrefix(generationId),
            ContinuationToken: token,
          }),
        );
        const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
        if (keys.length)
          await client.send(
            new sdk.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }),
          );
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
    async delete(keys) {
      const objects = keys.filter((k) => mediaTypeOfKey(k)).map((Key) => ({ Key }));
      if (!objects.length) return;
      const { sdk, client } = await loaded();
      // At most MAX_OUTPUTS_PER_GENERATION keys: within DeleteObjects' 1,000 per request.
      await client.send(
        new sdk.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }),
      );
    },
  };
}
