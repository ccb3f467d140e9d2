// A repeated callback of one attempt that re-sends other bytes (docs/outputs.md#keys): keys name
// their content, so the other bytes land under another key, the statement records whichever
// completion won, and the loser deletes what it wrote. The record's sha256 is always the sha256 of
// the bytes its link serves, on the file store under the local server and on S3 (fauxqs' S3, its
// real wire protocol), and the losing bytes are not left behind.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { s3OutputStore } from '@genledger/adapters/outputs/s3-output-store';
import { silentLogger } from '@genledger/core/ports/logger';
import type { OutputStore } from '@genledger/core/ports/output-store';
import { acceptCallback } from '@genledger/core/use-cases/backend/accept-callback';
import type { BackendAttemptDeps } from '@genledger/core/use-cases/backend/settle-outcome';
import { type SimSqs, startSqs } from '@genledger/sim/sqs';
import { backendAttemptDeps } from '@genledger/wiring/backend-attempts';
import { keepOutputsDeps } from '@genledger/wiring/outputs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CURSOR_SECRET, sha, tokens, useCallbackServer } from '../support/callback-server.ts';
import { useDatabases } from '../support/databases.ts';
import { pngBytes } from '../support/outputs.ts';

const dbs = useDatabases();
const BUCKET = 'callback-outputs';

describe('a callback repeated with other bytes', () => {
  const { t, awaiting, newGeneration, succeeded, post, generation } = useCallbackServer(dbs);

  /** Three reports of attempt 1, each with its own bytes: two racing, one after them. */
  const reports = (id: string) => [1, 2, 3].map((n) => succeeded(`${id}-1`, `${id}-${n}`, pngBytes(7, n)));
  const shas = [1, 2, 3].map((n) => sha(pngBytes(7, n)));

  it('on the file store: the record names the bytes its link serves, and only those are kept', async () => {
    const id = await newGeneration();
    const token = await awaiting(id, 1, tokens.mint(id, 1));
    const [a, b, c] = reports(id);
    const racing = await Promise.all([post(token, a), post(token, b)]);
    const settled = await Promise.all(
      racing.map(async (r) => ((await r.json()) as { settled: string }).settled),
    );
    expect(settled.sort()).toEqual(['completed', 'ignored']);
    expect(await (await post(token, c)).json()).toEqual({ settled: 'ignored' });

    const { outputs } = await generation(id);
    expect(outputs).toHaveLength(1);
    const [recorded] = outputs!;
    expect(shas.slice(0, 2)).toContain(recorded!.sha256);
    // The link as the server hands it out (signed for the key; the host is the server's).
    const link = new URL(await t.store.signedUrl(recorded!.key));
    const res = await fetch(new URL(`${link.pathname}${link.search}`, t.server.url));
    expect(res.status).toBe(200);
    expect(sha(new Uint8Array(await res.arrayBuffer()))).toBe(recorded!.sha256);
    expect(readdirSync(join(t.dataDir, 'outputs', 'generations', id, '1'))).toEqual([
      recorded!.key.split('/').at(-1),
    ]);
  });

  describe('on S3 (fauxqs)', () => {
    let fauxqs: SimSqs;
    let store: OutputStore;
    let deps: BackendAttemptDeps;
    let s3: S3Client;

    beforeAll(async () => {
      fauxqs = await startSqs();
      fauxqs.createBucket(BUCKET);
      const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
      store = s3OutputStore({ bucket: BUCKET, ttlS: 600, endpoint: fauxqs.endpoint, credentials });
      s3 = new S3Client({
        region: 'us-east-1',
        endpoint: fauxqs.endpoint,
        forcePathStyle: true,
        credentials,
      });
      const env = {
        CURSOR_SECRET,
        GENERATOR_URL: 'cog+http://127.0.0.1:9/',
        QUEUE_URL: 'http://127.0.0.1:9/000000000000/callbacks',
      };
      // The callback route's own dependencies, with the output store on S3.
      deps = (await backendAttemptDeps(t.database, env, silentLogger, {
        keepOutputs: keepOutputsDeps(env, store),
        callbackTokens: tokens,
      }))!;
    });
    afterAll(async () => {
      s3?.destroy();
      await fauxqs?.stop();
    });

    const accept = (token: string, body: unknown) =>
      acceptCallback(deps, token, {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });

    it('the record names the bytes its presigned link serves, and only those are kept', async () => {
      const id = await newGeneration();
      const token = await awaiting(id, 1, tokens.mint(id, 1));
      const [a, b, c] = reports(id);
      const racing = await Promise.all([accept(token, a), accept(token, b)]);
      expect(racing.map((r) => r.settled).sort()).toEqual(['completed', 'ignored']);
      expect((await accept(token, c)).settled).toBe('ignored');

      const { outputs } = await generation(id);
      expect(outputs).toHaveLength(1);
      const [recorded] = outputs!;
      expect(shas.slice(0, 2)).toContain(recorded!.sha256);
      const res = await fetch(await store.signedUrl(recorded!.key));
      expect(res.status).toBe(200);
      expect(sha(new Uint8Array(await res.arrayBuffer()))).toBe(recorded!.sha256);
      const listed = await s3.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `generations/${id}/` }),
      );
      expect((listed.Contents ?? []).map((o) => o.Key)).toEqual([recorded!.key]);
    });
  });
});
