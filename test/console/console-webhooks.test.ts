// The console's webhook pages at the HTML level: endpoints with their success rate, an endpoint's
// deliveries, one delivery's attempts with status, latency and the kept response, and redelivery.

import { createApp } from '@genledger/api/app';
import { noQueue } from '@genledger/api/no-queue';
import { silentLogger } from '@genledger/core/ports/logger';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { WebhookDeliveryStore } from '@genledger/db/webhook-store/deliveries';
import { httpDeps } from '@genledger/wiring/http-deps';
import { beforeAll, describe, expect, it } from 'vitest';
import { BASE, consoleSession } from '../support/console-session.ts';
import { useDatabases } from '../support/databases.ts';

const dbs = useDatabases();

/** The webhook queue port, recording the delivery ids it is handed. */
const queued: string[] = [];

let database: Database;
let app: ReturnType<typeof createApp>;
let adminKey: string;
let shopKey: string;

const signIn = async (key: string) => (await consoleSession(app, key)).req;

const api = (path: string, body: unknown) =>
  app.request(`${BASE}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${shopKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  database = await dbs.open('pglite', { schema: 'console_webhooks' });
  const keys = new ApiKeyStore(database, new EventStore(database));
  adminKey = (await keys.create({ name: 'on call', isAdmin: true })).key;
  shopKey = (await keys.create({ name: 'shop', isAdmin: false })).key;
  app = createApp(
    httpDeps(database, {
      queue: noQueue,
      logger: silentLogger,
      cursorSecret: 'w'.repeat(40),
      env: {},
      allowPrivateWebhooks: true,
      webhookQueue: {
        async send(ids) {
          queued.push(...ids);
          return { failed: [] };
        },
      },
    }),
  );
});

describe('webhook pages of the console', () => {
  it('lists endpoints with their success rate, a delivery with every attempt, and redelivers it', async () => {
    const created = await api('/webhook-endpoints', {
      url: 'http://127.0.0.1:9/hooks',
      description: 'orders',
    });
    expect(created.status).toBe(201);
    const endpointId = ((await created.json()) as { id: string }).id;
    // Three pings: one delivered on its second attempt, one failed for good, one not tried yet.
    for (let i = 0; i < 3; i++)
      expect((await api(`/webhook-endpoints/${endpointId}/test`, {})).status).toBe(202);
    const [first, second, third] = [...queued];
    queued.length = 0;
    const deliveries = new WebhookDeliveryStore(database, new EventStore(database));
    const attempt = { latencyMs: 12, error: null, nextAttemptAt: null, at: new Date() };
    await deliveries.recordAttempt(first!, {
      ...attempt,
      status: 'retrying',
      statusCode: 503,
      response: 'busy, try later',
      nextAttemptAt: new Date(Date.now() + 30_000),
    });
    await deliveries.recordAttempt(first!, {
      ...attempt,
      status: 'delivered',
      statusCode: 200,
      response: 'ok',
    });
    await deliveries.recordAttempt(second!, {
      ...attempt,
      status: 'failed',
      statusCode: 500,
      response: `<h1>boom</h1>${'x'.repeat(5000)}`,
    });

    const shop = await signIn(shopKey);
    expect((await shop('/console/webhooks')).status).toBe(403);

    const admin = await signIn(adminKey);
    const list = await (await admin('/console/webhooks')).text();
    expect(list).toContain('href="/console/webhooks"');
    const row = /<tr data-endpoint="[^"]+">([\s\S]*?)<\/tr>/.exec(list)![1]!;
    expect(row).toContain('http://127.0.0.1:9/hooks');
    expect(row).toContain('shop');
    // Delivered among those tried (delivered, failed): one of two.
    expect(row).toMatch(/data-testid="success-rate">50 %</);

    const endpoint = await (await admin(`/console/webhooks/endpoints/${endpointId}`)).text();
    for (const id of [first, second, third]) expect(endpoint).toContain(`data-delivery="${id}"`);

    const page = await (await admin(`/console/webhooks/deliveries/${first}`)).text();
    expect(page).toContain(`webhook-id: ${first}`);
    expect(page).toContain('POST http://127.0.0.1:9/hooks');
    const attempts = [...page.matchAll(/<tr data-attempt="(\d+)">([\s\S]*?)<\/tr>/g)];
    expect(attempts.map((a) => a[1])).toEqual(['1', '2']);
    expect(attempts[0]![2]).toContain('503');
    expect(attempts[0]![2]).toContain('busy, try later');
    expect(attempts[0]![2]).toContain('12 ms');
    expect(attempts[1]![2]).toContain('200');
    // The response is kept bounded (its first 1 KB), and shown as text, never as markup.
    const failed = await (await admin(`/console/webhooks/deliveries/${second}`)).text();
    expect(failed).toContain('&lt;h1&gt;boom&lt;/h1&gt;');
    expect(failed).not.toContain('x'.repeat(1100));

    const csrf = /name="_csrf" value="([^"]+)"/.exec(failed)![1]!;
    const redeliver = await admin(`/console/webhooks/deliveries/${second}/redeliver`, {
      method: 'POST',
      body: new URLSearchParams({ _csrf: csrf }),
    });
    expect(redeliver.status).toBe(303);
    expect(redeliver.headers.get('location')).toBe(`/console/webhooks/deliveries/${second}`);
    expect(queued).toEqual([second]);
    const again = await (await admin(`/console/webhooks/deliveries/${second}`)).text();
    expect(again).toMatch(/<h1>webhook\.ping <span class="badge s-pending">/);
    // The earlier attempt stays on the page.
    expect(again).toContain('data-attempt="1"');

    const missing = crypto.randomUUID();
    expect((await admin(`/console/webhooks/deliveries/${missing}`)).status).toBe(404);
    const none = await admin(`/console/webhooks/deliveries/${missing}/redeliver`, {
      method: 'POST',
      body: new URLSearchParams({ _csrf: csrf }),
    });
    expect(none.status).toBe(404);
    expect((await admin('/console/webhooks/endpoints/not-a-uuid')).status).toBe(404);
  });
});
