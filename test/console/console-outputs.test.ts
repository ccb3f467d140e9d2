// A generation's outputs in the console and the API, from the output store the app is given: every
// output listed, pictures inline, the rest linked, each served through the store under the session.

import { httpOutputFetcher } from '@genledger/adapters/outputs/http-output-fetcher';
import { createApp } from '@genledger/api/app';
import { noQueue } from '@genledger/api/no-queue';
import { silentLogger } from '@genledger/core/ports/logger';
import { keepOutputs } from '@genledger/core/use-cases/keep-outputs';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import { EventStore } from '@genledger/db/event-store';
import { GenerationLifecycle } from '@genledger/db/generation-lifecycle';
import { httpDeps } from '@genledger/wiring/http-deps';
import { describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';
import { pngBytes, tempFileStore } from '../support/outputs.ts';

const dbs = useDatabases();
const BASE = 'http://localhost';

describe('outputs in the console and the API', () => {
  it('lists every output of a generation, serves each through the store, and signs a link to each', async () => {
    const database = await dbs.open('pglite', { schema: 'console_outputs' });
    const events = new EventStore(database);
    const keys = new ApiKeyStore(database, events);
    const admin = (await keys.create({ name: 'ops', isAdmin: true })).key;
    const client = (await keys.create({ name: 'frontend' })).key;
    const file = tempFileStore({ baseUrl: () => BASE });
    const app = createApp(
      httpDeps(database, {
        queue: noQueue,
        logger: silentLogger,
        cursorSecret: 'k'.repeat(40),
        outputs: file.store,
      }),
    );
    const created = await app.request(`${BASE}/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'three outputs' }),
    });
    const { id } = (await created.json()) as { id: string };

    // The worker's two steps, as one prediction with several outputs would take them.
    const lifecycle = new GenerationLifecycle(database, events);
    const start = await lifecycle.start({
      generationId: id,
      messageId: 'm-1',
      receiveCount: 1,
      staleAfterMs: 60_000,
    });
    if (start.outcome !== 'started') throw new Error(start.outcome);
    const png = pngBytes(1, 2, 3);
    const pdf = new TextEncoder().encode('%PDF-1.4\n1 0 obj\n');
    const gif = new TextEncoder().encode('GIF89a\x01\x00\x01\x00');
    const outputs = await keepOutputs(
      { store: file.store, fetcher: httpOutputFetcher({ timeoutMs: 1000 }), maxBytes: 1024 },
      id,
      1,
      [
        { kind: 'bytes', body: png },
        { kind: 'url', url: `data:application/pdf;base64,${Buffer.from(pdf).toString('base64')}` },
        { kind: 'bytes', body: gif },
      ],
    );
    expect(
      await lifecycle.complete({
        generationId: id,
        attempt: start.attempt,
        model: 'sdxl',
        outputs,
        promptId: null,
        durationMs: 5,
      }),
    ).toBe(true);

    const signIn = await app.request(`${BASE}/console/signin`, {
      method: 'POST',
      body: new URLSearchParams({ key: admin }),
      headers: { origin: BASE },
      redirect: 'manual',
    });
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const page = await (
      await app.request(`${BASE}/console/generations/${id}`, { headers: { cookie } })
    ).text();
    expect(page).toContain('Outputs (3)');
    expect(page).toContain(`<img class="preview" src="/console/generations/${id}/outputs/0"`);
    expect(page).toContain(`<img class="preview" src="/console/generations/${id}/outputs/2"`);
    expect(page).not.toContain(`<img class="preview" src="/console/generations/${id}/outputs/1"`);
    expect(page).toContain(`href="/console/generations/${id}/outputs/1"`);
    expect(page).toContain('application/pdf');

    for (const [index, bytes, type] of [
      [0, png, 'image/png'],
      [1, pdf, 'application/pdf'],
      [2, gif, 'image/gif'],
    ] as const) {
      const served = await app.request(`${BASE}/console/generations/${id}/outputs/${index}`, {
        headers: { cookie },
      });
      expect(served.status).toBe(200);
      expect(served.headers.get('content-type')).toBe(type);
      expect(new Uint8Array(await served.arrayBuffer())).toEqual(new Uint8Array(bytes));
    }
    for (const index of ['3', '-1', 'x'])
      expect(
        (await app.request(`${BASE}/console/generations/${id}/outputs/${index}`, { headers: { cookie } }))
          .status,
      ).toBe(404);

    // Another key sees neither the generation nor its outputs.
    const other = await app.request(`${BASE}/console/signin`, {
      method: 'POST',
      body: new URLSearchParams({ key: client }),
      headers: { origin: BASE },
      redirect: 'manual',
    });
    const otherCookie = other.headers.get('set-cookie')!.split(';')[0]!;
    expect(
      (await app.request(`${BASE}/console/generations/${id}/outputs/0`, { headers: { cookie: otherCookie } }))
        .status,
    ).toBe(404);

    // The API answers the same outputs, in order, each behind a fresh signed link.
    const g = (await (
      await app.request(`${BASE}/generations/${id}`, { headers: { authorization: `Bearer ${admin}` } })
    ).json()) as {
      outputs: { url: string; contentType: string; bytes: number; sha256: string }[];
      outputPath: string;
    };
    expect(g.outputs.map((o) => [o.contentType, o.bytes])).toEqual([
      ['image/png', png.length],
      ['application/pdf', pdf.length],
      ['image/gif', gif.length],
    ]);
    expect(g.outputs.map((o) => new URL(o.url).pathname)).toEqual(outputs.map((o) => `/outputs/${o.key}`));
    expect(outputs.map((o) => o.key)).toEqual([
      expect.stringMatching(new RegExp(`^generations/${id}/1/0-[0-9a-f]{32}\\.png$`)),
      expect.stringMatching(new RegExp(`^generations/${id}/1/1-[0-9a-f]{32}\\.pdf$`)),
      expect.stringMatching(new RegExp(`^generations/${id}/1/2-[0-9a-f]{32}\\.gif$`)),
    ]);
    expect(
      g.outputs.every(
        (o) =>
          file.links.verify(
            new URL(o.url).pathname.slice('/outputs/'.length),
            Object.fromEntries(new URL(o.url).searchParams),
          ) === 'ok',
      ),
    ).toBe(true);
    expect(g.outputPath).toBe(g.outputs[0]!.url);
    const list = (await (
      await app.request(`${BASE}/generations?q=outputs`, { headers: { authorization: `Bearer ${admin}` } })
    ).json()) as {
      items: { id: string; outputs: unknown[] }[];
    };
    expect(list.items.find((i) => i.id === id)?.outputs).toHaveLength(3);
  });
});
