// Every change a key makes to a webhook endpoint commits with its audit event on the endpoint's
// stream (WebhookEndpointCreated, …Changed, …SecretRotated, …Deleted), carrying the request's id
// and the key that made it; the URL as origin and path only, so a receiver's credentials in the
// query stay out of the event log. A change that finds no endpoint (another key's, or none)
// writes no event. Under `npm start`'s server on real PostgreSQL.
import { streams } from '@genledger/core/contracts/events';
import type { Database } from '@genledger/db/connect';
import { type LocalServer, startLocalServer } from '@genledger/local/server';
import { storesOf } from '@genledger/wiring/stores';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, OpenApiValidator } from '../support/api-client.ts';
import { useDatabases } from '../support/databases.ts';

const dbs = useDatabases();
const ADMIN_KEY = `admin-key-for-audit-tests-${'a'.repeat(30)}`;

describe('webhook endpoint audit events', () => {
  let database: Database;
  let server: LocalServer;
  let api: ApiClient;
  let key: string;
  let keyId: string;
  let otherKey: string;

  beforeAll(async () => {
    database = await dbs.open('postgres');
    server = await startLocalServer({
      database,
      port: 0,
      env: { LOG_LEVEL: 'silent', ADMIN_API_KEY: ADMIN_KEY, CURSOR_SECRET: 'c'.repeat(40) },
    });
    const doc = await (await fetch(`${server.url}/openapi.json`)).json();
    api = new ApiClient(server.url, new OpenApiValidator(doc));
    const created = await api.post('/api-keys', { key: ADMIN_KEY, body: { name: 'audited' } });
    key = created.body.key;
    keyId = created.body.id;
    otherKey = (await api.post('/api-keys', { key: ADMIN_KEY, body: { name: 'other' } })).body.key;
  });
  afterAll(async () => {
    await server?.close();
  });

  const streamOf = async (id: string) =>
    (await storesOf(database).events.readStream(streams.webhookEndpoint(id))).map((e) => ({
      event: e.event,
      metadata: e.metadata,
    }));

  it('records who created, changed, rotated and deleted an endpoint, without the query of its URL', async () => {
    const created = await api.post('/webhook-endpoints', {
      key,
      body: { url: 'https://hooks.example.com/in?token=s3cr3t#frag', events: ['generation.completed'] },
    });
    expect(created.status, created.text).toBe(201);
    const id = created.body.id as string;
    const changed = await api.patch(`/webhook-endpoints/${id}`, {
      key,
      body: { url: 'https://elsewhere.example.net/hook?sig=abc', description: 'moved', enabled: false },
    });
    expect(changed.status, changed.text).toBe(200);
    const rotated = await api.post(`/webhook-endpoints/${id}/rotate-secret`, { key: ADMIN_KEY });
    expect(rotated.status, rotated.text).toBe(200);
    expect((await api.delete(`/webhook-endpoints/${id}`, { key })).status).toBe(200);

    const stream = await streamOf(id);
    expect(stream.map((e) => e.event)).toEqual([
      {
        type: 'WebhookEndpointCreated',
        endpointId: id,
        apiKeyId: keyId,
        target: 'https://hooks.example.com/in',
        events: ['generation.completed'],
      },
      {
        type: 'WebhookEndpointChanged',
        endpointId: id,
        apiKeyId: keyId,
        target: 'https://elsewhere.example.net/hook',
        descriptionChanged: true,
        enabled: false,
      },
      {
        type: 'WebhookEndpointSecretRotated',
        endpointId: id,
        apiKeyId: keyId,
        overlapUntil: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      { type: 'WebhookEndpointDeleted', endpointId: id, apiKeyId: keyId },
    ]);
    // Who made each change: the key's own id three times, the admin's for the rotation.
    const actors = stream.map((e) => e.metadata?.apiKeyId);
    expect(actors[0]).toBe(keyId);
    expect(actors[1]).toBe(keyId);
    expect(actors[2]).not.toBe(keyId);
    expect(actors[2]).toEqual(expect.any(String));
    expect(actors[3]).toBe(keyId);
    for (const e of stream) expect(e.metadata?.requestId).toEqual(expect.any(String));
    expect(JSON.stringify(stream)).not.toMatch(/s3cr3t|sig=abc|frag/);
  });

  it("another key's change finds nothing and writes no event", async () => {
    const created = await api.post('/webhook-endpoints', {
      key,
      body: { url: 'https://hooks.example.com/mine' },
    });
    const id = created.body.id as string;
    expect(
      (await api.patch(`/webhook-endpoints/${id}`, { key: otherKey, body: { enabled: false } })).status,
    ).toBe(404);
    expect((await api.post(`/webhook-endpoints/${id}/rotate-secret`, { key: otherKey })).status).toBe(404);
    expect((await api.delete(`/webhook-endpoints/${id}`, { key: otherKey })).status).toBe(404);
    expect((await streamOf(id)).map((e) => e.event.type)).toEqual(['WebhookEndpointCreated']);
    expect((await api.get(`/webhook-endpoints/${id}`, { key })).body.enabled).toBe(true);
  });
});
