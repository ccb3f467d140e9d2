// The two real output stores, and what a test reads back from them: the objects under a
// generation's prefix and the sha-256 of one object's bytes. S3 is fauxqs' (its real wire
// protocol, in process), as test/api/callback-outputs.test.ts uses it.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { s3OutputStore } from '@genledger/adapters/outputs/s3-output-store';
import type { OutputStore } from '@genledger/core/ports/output-store';
import { type SimSqs, startSqs } from '@genledger/sim/sqs';
import { afterAll, beforeAll } from 'vitest';
import { startHttpFake } from './backends/http-fake.ts';
import { tempFileStore } from './outputs.ts';

export type StoreKind = 'file' | 's3';
export const STORE_KINDS: StoreKind[] = ['file', 's3'];

interface ObjectStore {
  store: OutputStore;
  /** Every object's key under `generations/{id}/`, sorted. */
  keysOf(generationId: string): Promise<string[]>;
  /** The sha-256 (hex) of the bytes the store holds at `key`, or undefined. */
  shaAt(key: string): Promise<string | undefined>;
}

const BUCKET = 'unrecorded-outputs';

/** Both stores for the file's tests: fauxqs started before them, stopped after. */
export function useObjectStores() {
  let fauxqs: SimSqs | undefined;
  let s3: S3Client | undefined;
  const stores = {} as Record<StoreKind, ObjectStore>;
  const shaAt = (store: OutputStore) => async (key: string) => {
    const read = await store.read(key);
    return read && createHash('sha256').update(read.body).digest('hex');
  };

  beforeAll(async () => {
    const file = tempFileStore();
    stores.file = {
      store: file.store,
      keysOf: async (id) => {
        const root = join(file.directory, 'generations', id);
        try {
          return readdirSync(root, { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile())
            .map((e) => `generations/${id}/${join(e.parentPath, e.name).slice(root.length + 1)}`)
            .sort();
        } catch {
          return [];
        }
      },
      shaAt: shaAt(file.store),
    };
    fauxqs = await startSqs();
    fauxqs.createBucket(BUCKET);
    const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
    const store = s3OutputStore({ bucket: BUCKET, ttlS: 600, endpoint: fauxqs.endpoint, credentials });
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: fauxqs.endpoint,
      forcePathStyle: true,
      credentials,
    });
    s3 = client;
    stores.s3 = {
      store,
      keysOf: async (id) => {
        const listed = await client.send(
          new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `generations/${id}/` }),
        );
        return (listed.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])).sort();
      },
      shaAt: shaAt(store),
    };
  });
  afterAll(async () => {
    s3?.destroy();
    await fauxqs?.stop();
  });
  return stores;
}

/** An output server whose every answer is 503, for the file's tests: keeping from it fails transiently. */
export function useUnavailableOutputs() {
  let server: Awaited<ReturnType<typeof startHttpFake>> | undefined;
  beforeAll(async () => {
    server = await startHttpFake({
      'GET /': (_req, res) => {
        res.writeHead(503);
        res.end();
      },
    });
  });
  afterAll(() => server?.close());
  return { url: () => server!.url };
}
