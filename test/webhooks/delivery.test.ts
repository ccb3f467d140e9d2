// Webhooks end to end under the local runtime: a real receiver on loopback verifying every request
// with standardwebhooks' own Webhook.verify, the local webhook queue's backoff and redrive, the
// webhook DLQ into failed messages, and a retry from there.
import type { Database } from '@genledger/db/connect';
import { type LocalServer, startLocalServer } from '@genledger/local/server';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, expectProblem, OpenApiValidator } from '../support/api-client.ts';
import { useDatabases } from '../support/databases.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

const dbs = useDatabases();
const ADMIN_KEY = `admin-key-for-webhook-tests-${'w'.repeat(30)}`;
/** Receives before the webhook DLQ here: three attempts, 50 ms then 100 ms apart. */
const MAX_RECEIVES = 3;

describe('webhooks under npm start', () => {
  let database: Database;
  let server: LocalServer;
  let api: ApiClient;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let key: string;

  beforeAll(async () => {
    database = await dbs.open('postgres');
    receiver = await startReceiver();
    server = await startLocalServer({
      database,
      port: 0,
      env: {
        LOG_LEVEL: 'silent',
        ADMIN_API_KEY: ADMIN_KEY,
        CURSOR_SECRET: 'c'.repeat(40),
        WEBHOOK_RETRY_BASE_S: '0.05',
      },
      pipeline: { webhooks: { maxReceiveCount: MAX_RECEIVES } },
    });
    // Every response is checked against the document the server serves.
    const doc = await (await fetch(`${server.url}/openapi.json`)).json();
    api = new ApiClient(server.url, new OpenApiValidator(doc));
    const created = await api.post('/api-keys', { key: ADMIN_KEY, body: { name: 'webhook client' } });
    key = created.body.key;
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  async function subscribe(path: string, events?: string[]) {
    const res = await api.post('/webhook-endpoints', {
      key,
      body: { url: receiver.url(path), description: path, ...(events ? { events } : {}) },
    });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; secret: string; enabled: boolean };
  }

  const verify = (secret: string, r: { headers: any; body: string }) =>
    new Webhook(secret).verify(r.body, {
      'webhook-id': r.headers['webhook-id'],
      'webhook-timestamp': r.headers['webhook-timestamp'],
      'webhook-signature': r.headers['webhook-signature'],
    });

  const at = (path: string) => receiver.received.filter((r) => r.path === path);

  it('signs with the secret shown once: verified by Webhook.verify, rejected after a one-byte change', async () => {
    const endpoint = await subscribe('/signed');
    expect(endpoint.secret).toMatch(/^whsec_/);
    const listed = await api.get('/webhook-endpoints', { key });
    expect(listed.text).not.toContain(endpoint.secret);

    const g = await api.post('/generations', { key, body: { prompt: 'a signed lighthouse' } });
    await receiver.waitFor(() => at('/signed').some((r) => r.json.type === 'generation.completed'));
    const [started, completed] = [
      at('/signed').find((r) => r.json.type === 'generation.started')!,
      at('/signed').find((r) => r.json.type === 'generation.completed')!,
    ];
    expect(started).toBeDefined();
    expect(verify(endpoint.secret, completed)).toMatchObject({ type: 'generation.completed' });
    // The body is {type, timestamp, data}; data is the generation as GET /generations/{id} returns it.
    const read = await api.get(`/generations/${g.body.id}`, { key });
    // Its output links are signed afresh for each answer: the same outputs, each a working link.
    const unsigned = (g: any) => ({
      ...g,
      outputPath: null,
      outputs: g.outputs.map(({ url: _url, ...o }: { url: string }) => o),
    });
    expect(unsigned(completed.json.data)).toEqual(unsigned(read.body));
    expect(completed.json.data.outputs).toHaveLength(1);
    const delivered = await fetch(completed.json.data.outputs[0].url);
    expect(delivered.status).toBe(200);
    expect(Buffer.from(await delivered.arrayBuffer()).length).toBe(read.body.outputs[0].bytes);
    expect(completed.json.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);

    const tampered = `${completed.body.slice(0, 10)}${completed.body[10] === 'a' ? 'b' : 'a'}${completed.body.slice(11)}`;
    expect(() => verify(endpoint.secret, { ...completed, body: tampered })).toThrow();
    const other = (await subscribe('/other')).secret;
    expect(() => verify(other, completed)).toThrow();
  });

  it('retries after 500s with a growing backoff, the same webhook-id every time, then delivers', async () => {
    await subscribe('/flaky', ['generation.completed']);
    let failures = 2;
    receiver.answerWith((r) => (r.path === '/flaky' && failures-- > 0 ? 500 : 200));
    await api.post('/generations', { key, body: { prompt: 'flaky receiver' } });
    await receiver.waitFor(() => at('/flaky').length === 3);
    const hits = at('/flaky');
    expect(new Set(hits.map((h) => h.headers['webhook-id'])).size).toBe(1);
    await expect
      .poll(async () => (await deliveryOf(hits[0]!.headers['webhook-id'] as string)).status)
      .toBe('delivered');
    const done = await deliveryOf(hits[0]!.headers['webhook-id'] as string);
    expect(done).toMatchObject({ status: 'delivered', attempts: 3, last_status_code: 200 });
    receiver.answerWith(() => 200);
  });

  async function deliveryOf(id: string) {
    const rows = await database.db.execute(
      sql`select status, attempts, last_status_code, last_response, endpoint_id from ${database.tables.webhookDeliveries} where id = ${id}`,
    );
    return (rows as unknown as { rows: Record<string, unknown>[] }).rows[0]!;
  }

  it('a 410 disables the endpoint: nothing more is sent to it', async () => {
    const endpoint = await subscribe('/gone', ['generation.completed']);
    receiver.answerWith((r) => (r.path === '/gone' ? 410 : 200));
    await api.post('/generations', { key, body: { prompt: 'gone receiver' } });
    await receiver.waitFor(() => at('/gone').length === 1);
    await expect
      .poll(async () => (await api.get(`/webhook-endpoints/${endpoint.id}`, { key })).body.enabled)
      .toBe(false);
    const disabled = await api.get(`/webhook-endpoints/${endpoint.id}`, { key });
    expect(disabled.body.disabledReason).toBe('gone');
    receiver.answerWith(() => 200);
  });

  it('dead-letters after the last receive into failed messages (webhook.delivery), and a retry from there delivers', async () => {
    await subscribe('/down', ['generation.completed']);
    receiver.answerWith((r) => (r.path === '/down' ? 503 : 200));
    await api.post('/generations', { key, body: { prompt: 'receiver down' } });
    await receiver.waitFor(() => at('/down').length === MAX_RECEIVES);
    await expect
      .poll(async () => {
        const list = await api.get('/failed-messages', { key: ADMIN_KEY });
        return list.body.items.filter((m: { messageType: string }) => m.messageType === 'webhook.delivery');
      })
      .toHaveLength(1);
    const list = await api.get('/failed-messages', { key: ADMIN_KEY });
    const message = list.body.items.find(
      (m: { messageType: string }) => m.messageType === 'webhook.delivery',
    );
    expect(message.lastError?.type ?? message.lastErrorType).toBe('WebhookStatus503');
    const groups = await api.get('/failure-groups', { key: ADMIN_KEY });
    expect(groups.text).toContain('WebhookStatus503: at endpoint (');
    const id = at('/down')[0]!.headers['webhook-id'] as string;
    expect((await deliveryOf(id)).status).toBe('failed');

    receiver.answerWith(() => 200);
    const retry = await api.post('/failed-messages/retry', { key: ADMIN_KEY, body: { ids: [message.id] } });
    expect(retry.status, retry.text).toBe(202);
    await receiver.waitFor(() => at('/down').length === MAX_RECEIVES + 1);
    expect(at('/down').at(-1)!.headers['webhook-id']).toBe(id);
    await expect.poll(async () => (await deliveryOf(id)).status).toBe('delivered');
    await expect
      .poll(async () => (await api.get(`/failed-messages/${message.id}`, { key: ADMIN_KEY })).body.status)
      .toBe('resolved');
  });

  it('rotating the secret: both the new and the old secret verify during the overlap', async () => {
    const endpoint = await subscribe('/rotated', ['generation.completed']);
    const rotated = await api.post(`/webhook-endpoints/${endpoint.id}/rotate-secret`, { key });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    await api.post('/generations', { key, body: { prompt: 'rotated secret' } });
    const [hit] = await receiver.waitFor(() => at('/rotated').length === 1).then(() => at('/rotated'));
    expect(hit!.headers['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
    expect(verify(rotated.body.secret, hit!)).toBeTruthy();
    expect(verify(endpoint.secret, hit!)).toBeTruthy();
  });

  it('POST …/test sends a signed ping; PATCH disables and DELETE removes', async () => {
    const endpoint = await subscribe('/ping');
    const ping = await api.post(`/webhook-endpoints/${endpoint.id}/test`, { key });
    expect(ping.status, ping.text).toBe(202);
    const [hit] = await receiver.waitFor(() => at('/ping').length === 1).then(() => at('/ping'));
    expect(verify(endpoint.secret, hit!)).toMatchObject({
      type: 'webhook.ping',
      data: { endpointId: endpoint.id },
    });
    expect(hit!.headers['webhook-id']).toBe(ping.body.deliveryId);

    const off = await api.patch(`/webhook-endpoints/${endpoint.id}`, { key, body: { enabled: false } });
    expect(off.body).toMatchObject({ enabled: false, disabledReason: 'operator' });
    const bad = await api.patch(`/webhook-endpoints/${endpoint.id}`, {
      key,
      body: { events: ['generation.exploded'] },
    });
    expectProblem(bad, 400, ['events.0']);
    // Another key sees none of it.
    const other = await api.post('/api-keys', { key: ADMIN_KEY, body: { name: 'stranger' } });
    expectProblem(await api.get(`/webhook-endpoints/${endpoint.id}`, { key: other.body.key }), 404);
    expect((await api.delete(`/webhook-endpoints/${endpoint.id}`, { key })).status).toBe(200);
    expectProblem(await api.get(`/webhook-endpoints/${endpoint.id}`, { key }), 404);
  });

  it("a generation's own webhook, filtered to its events, signed with the key's default secret", async () => {
    const secret = await api.get('/webhooks/default/secret', { key });
    expect(secret.body.key).toMatch(/^whsec_/);
    expect((await api.get('/webhooks/default/secret', { key })).body.key).toBe(secret.body.key);
    const g = await api.post('/generations', {
      key,
      body: {
        prompt: 'tell me when done',
        webhook: receiver.url('/own'),
        webhookEvents: ['started', 'completed'],
      },
    });
    expect(g.status, g.text).toBe(202);
    expect(g.body).toMatchObject({ webhook: receiver.url('/own'), webhookEvents: ['started', 'completed'] });
    await receiver.waitFor(() => at('/own').length === 2);
    expect(
      at('/own')
        .map((r) => r.json.type)
        .sort(),
    ).toEqual(['generation.completed', 'generation.started']);
    for (const r of at('/own')) expect(verify(secret.body.key, r)).toMatchObject({ data: { id: g.body.id } });

    // Without a filter: the terminal events only, nothing of its start.
    const quiet = await api.post('/generations', {
      key,
      body: { prompt: 'x', webhook: receiver.url('/terminal') },
    });
    expect(quiet.body.webhookEvents).toEqual(['completed', 'failed', 'cancelled']);
    await receiver.waitFor(() => at('/terminal').length === 1);
    expect(at('/terminal')[0]!.json.type).toBe('generation.completed');
  });

  it('the delivery log pages newest first, and a redelivery sends again under the same webhook-id', async () => {
    const endpoint = await subscribe('/logged');
    await api.post('/generations', { key, body: { prompt: 'logged' } });
    await receiver.waitFor(() => at('/logged').length === 2);
    await expect
      .poll(async () =>
        (await api.get(`/webhook-endpoints/${endpoint.id}/deliveries`, { key })).body.items.map(
          (d: { status: string }) => d.status,
        ),
      )
      .toEqual(['delivered', 'delivered']);
    const first = await api.get(`/webhook-endpoints/${endpoint.id}/deliveries?limit=1`, { key });
    expect(first.body.items[0]).toMatchObject({
      eventType: 'generation.completed',
      attempts: 1,
      lastStatusCode: 200,
    });
    expect(first.body.items[0].lastLatencyMs).toEqual(expect.any(Number));
    const second = await api.get(
      `/webhook-endpoints/${endpoint.id}/deliveries?limit=1&cursor=${first.body.nextCursor}`,
      { key },
    );
    expect(second.body.items[0].eventType).toBe('generation.started');
    expect(second.body.nextCursor).toBeNull();

    const redo = await api.post(`/webhook-deliveries/${first.body.items[0].id}/redeliver`, { key });
    expect(redo.status, redo.text).toBe(202);
    await receiver.waitFor(() => at('/logged').length === 3);
    expect(at('/logged')[2]!.headers['webhook-id']).toBe(first.body.items[0].id);
    const stranger = await api.post('/api-keys', { key: ADMIN_KEY, body: { name: 'log stranger' } });
    expectProblem(
      await api.get(`/webhook-endpoints/${endpoint.id}/deliveries`, { key: stranger.body.key }),
      404,
    );
    expectProblem(
      await api.post(`/webhook-deliveries/${first.body.items[0].id}/redeliver`, { key: stranger.body.key }),
      404,
    );
  });
});
