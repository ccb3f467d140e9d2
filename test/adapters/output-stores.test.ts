// The OutputStore contract (packages/core/src/ports/output-store.ts), run against both stores: files
// under a directory, and S3 on fauxqs' in-process S3 (its real wire protocol, path-style), with
// each store's signed link fetched over HTTP and compared byte for byte.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3OutputStore } from '@genledger/adapters/outputs/s3-output-store';
import { type OutputMediaType, outputKey } from '@genledger/core/contracts/outputs';
import type { OutputStore } from '@genledger/core/ports/output-store';
import { outputRoute } from '@genledger/local/output-route';
import { type SimSqs, startSqs } from '@genledger/sim/sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presignedGets } from '../../packages/adapters/src/outputs/s3-presigned-get.ts';
import { pngBytes, tempFileStore } from '../support/outputs.ts';

let fauxqs: SimSqs;
let server: Server;
let baseUrl = '';
const file = tempFileStore({ baseUrl: () => baseUrl });
/** A key as keepOutputs makes them; the store takes the content hash in it as it is. */
const keyOf = (id: string, attempt: number, index: number, type: OutputMediaType) =>
  outputKey(id, attempt, index, type, 'ab'.repeat(32));

beforeAll(async () => {
  fauxqs = await startSqs();
  fauxqs.createBucket('outputs-contract');
  // The local server's output route, alone: what `npm start` serves signed links with.
  const serve = outputRoute(file.store, file.links);
  server = createServer(async (req, res) => {
    const response =
      (await serve(new Request(`${baseUrl}${req.url}`, { method: req.method }))) ??
      new Response(null, { status: 404 });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await fauxqs.stop();
});

const stores: [string, () => OutputStore][] = [
  ['file store', () => tempFileStore({ baseUrl: () => baseUrl }).store],
  [
    'S3 store (fauxqs)',
    () =>
      s3OutputStore({
        bucket: 'outputs-contract',
        ttlS: 600,
        endpoint: fauxqs.endpoint,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      }),
  ],
];

describe.each(stores)('%s', (_name, make) => {
  it('puts, reads back, overwrites, signs a link that serves the same bytes, and deletes by generation', async () => {
    // The file store's links point at this file's server, whose route reads `file.store`.
    const store = _name === 'file store' ? file.store : make();
    const id = crypto.randomUUID();
    const other = crypto.randomUUID();
    const png = pngBytes(...Array.from({ length: 300 }, (_, i) => i % 256));
    const pdf = new TextEncoder().encode('%PDF-1.7\n%…\n');
    await store.put(keyOf(id, 1, 0, 'image/png'), png, 'image/png');
    await store.put(keyOf(id, 1, 1, 'application/pdf'), pdf, 'application/pdf');
    await store.put(keyOf(other, 1, 0, 'image/png'), png, 'image/png');

    expect(await store.read(keyOf(id, 1, 0, 'image/png'))).toEqual({
      body: new Uint8Array(png),
      contentType: 'image/png',
    });
    // A put over a key overwrites it.
    const again = pngBytes(1, 2, 3);
    await store.put(keyOf(id, 1, 0, 'image/png'), again, 'image/png');
    expect((await store.read(keyOf(id, 1, 0, 'image/png')))?.body).toEqual(new Uint8Array(again));

    for (const [key, bytes, type] of [
      [keyOf(id, 1, 0, 'image/png'), again, 'image/png'],
      [keyOf(id, 1, 1, 'application/pdf'), pdf, 'application/pdf'],
    ] as const) {
      const response = await fetch(await store.signedUrl(key));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(type);
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(new Uint8Array(bytes));
    }

    await store.deleteGeneration(id);
    expect(await store.read(keyOf(id, 1, 0, 'image/png'))).toBeUndefined();
    expect(await store.read(keyOf(id, 1, 1, 'application/pdf'))).toBeUndefined();
    expect((await store.read(keyOf(other, 1, 0, 'image/png')))?.body).toEqual(new Uint8Array(png));
    await store.deleteGeneration(id); // nothing left: not an error
  });

  it('reads keys kept before outputs were kept per attempt or named their content, and deletes given keys only', async () => {
    const store = _name === 'file store' ? file.store : make();
    const id = crypto.randomUUID();
    const legacy = `generations/${id}/0.png`;
    const perAttempt = `generations/${id}/1/0.png`;
    await store.put(legacy, pngBytes(4), 'image/png');
    await store.put(perAttempt, pngBytes(3), 'image/png');
    expect((await store.read(legacy))?.body).toEqual(new Uint8Array(pngBytes(4)));
    expect((await store.read(perAttempt))?.body).toEqual(new Uint8Array(pngBytes(3)));
    expect((await fetch(await store.signedUrl(perAttempt))).status).toBe(200);
    const [first, second] = [keyOf(id, 1, 0, 'image/png'), keyOf(id, 2, 0, 'image/png')];
    await store.put(first, pngBytes(5), 'image/png');
    await store.put(second, pngBytes(6), 'image/png');
    await store.delete([second, keyOf(id, 3, 0, 'image/png'), '../escape.png']);
    expect(await store.read(second)).toBeUndefined();
    expect((await store.read(first))?.body).toEqual(new Uint8Array(pngBytes(5)));
    expect((await store.read(legacy))?.body).toEqual(new Uint8Array(pngBytes(4)));
    await store.deleteGeneration(id);
    expect(await store.read(first)).toBeUndefined();
    expect(await store.read(legacy)).toBeUndefined();
    expect(await store.read(perAttempt)).toBeUndefined();
  });

  it('holds only well-formed keys: anything else reads as absent and is never written', async () => {
    const store = make();
    for (const key of [
      '../secret.png',
      'generations/../../etc/passwd',
      '/etc/hostname',
      'a.png',
      '',
      'generations/x/0.png',
      `generations/${crypto.randomUUID()}/1/../0.png`,
      `generations/${crypto.randomUUID()}/x/0.png`,
      `generations/${crypto.randomUUID()}/1/0-abc.png`,
      `generations/${crypto.randomUUID()}/0-${'ab'.repeat(16)}.png`,
    ])
      expect(await store.read(key)).toBeUndefined();
    await expect(store.put('../escape.png', pngBytes(), 'image/png')).rejects.toThrow('not an output key');
    await expect(store.signedUrl('../escape.png')).rejects.toThrow('not an output key');
    expect(await store.read(keyOf(crypto.randomUUID(), 1, 0, 'image/png'))).toBeUndefined();
  });
});

describe('S3 presigned GETs', () => {
  it("are, URL for URL, what the SDK's getSignedUrl makes: virtual-hosted on AWS, path-style elsewhere, session token included", async () => {
    const credentials = {
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: 'example-secret',
      sessionToken: 'session/token+=',
    };
    const signingDate = new Date('2026-12-07T10:00:00Z');
    const key = keyOf('00000000-0000-4000-8000-000000000001', 1, 3, 'video/mp4');
    for (const [region, endpoint] of [
      ['eu-central-1', undefined],
      ['us-east-1', undefined],
      ['eu-central-1', 'http://127.0.0.1:4566'],
      ['us-east-1', 'https://minio.internal.example/s3'],
    ] as const) {
      const client = new S3Client({
        region,
        credentials,
        ...(endpoint ? { endpoint, forcePathStyle: true } : {}),
      });
      const ours = presignedGets(client, {
        bucket: 'genledger-outputs',
        region,
        ...(endpoint ? { endpoint } : {}),
      });
      const sdk = await getSignedUrl(
        client,
        new GetObjectCommand({ Bucket: 'genledger-outputs', Key: key }),
        {
          expiresIn: 900,
          signingDate,
        },
      );
      expect(await ours(key, 900, signingDate), `${region} ${endpoint ?? 'AWS'}`).toBe(sdk);
    }
  });
});

describe('file store links', () => {
  it('refuses a tampered, a foreign or an expired signature with 403, and serves nothing', async () => {
    const id = crypto.randomUUID();
    const key = keyOf(id, 1, 0, 'image/png');
    await file.store.put(key, pngBytes(7), 'image/png');
    const link = new URL(await file.store.signedUrl(key));
    expect((await fetch(link)).status).toBe(200);

    const tampered = new URL(link);
    tampered.searchParams.set('expires', String(Number(link.searchParams.get('expires')) + 3600));
    const otherKey = new URL(link);
    otherKey.pathname = otherKey.pathname.replace('/0-', '/1-');
    const unsigned = new URL(link);
    unsigned.search = '';
    for (const url of [tampered, otherKey, unsigned]) {
      const response = await fetch(url);
      expect(response.status).toBe(403);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }

    // A link signed an hour ago with a 60 s lifetime: the same secret, so only the time fails it.
    let now = Date.now() - 3_600_000;
    const past = tempFileStore({ ttlS: 60, now: () => now, baseUrl: () => baseUrl });
    const expired = await past.links.sign(key);
    now = Date.now();
    expect(past.links.verify(key, Object.fromEntries(new URL(expired).searchParams))).toBe('expired');
    const response = await fetch(expired);
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('expired');
  });

  it('never follows a symbolic link out of its directory', async () => {
    const id = crypto.randomUUID();
    const outside = join(file.directory, '..', `secret-${id}.png`);
    writeFileSync(outside, pngBytes(9));
    mkdirSync(join(file.directory, 'generations', id, '1'), { recursive: true });
    symlinkSync(outside, join(file.directory, keyOf(id, 1, 0, 'image/png')));
    expect(await file.store.read(keyOf(id, 1, 0, 'image/png'))).toBeUndefined();
  });
});
