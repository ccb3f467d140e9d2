import { readFileSync } from 'node:fs';
import { createApp } from '@genledger/api/app';
import { noQueue } from '@genledger/api/no-queue';
import { createGenledgerClient, type GenledgerClient } from '@genledger/client';
import { silentLogger } from '@genledger/core/ports/logger';
import type { Database } from '@genledger/db/connect';
import { httpDeps } from '@genledger/wiring/http-deps';
import { storesOf } from '@genledger/wiring/stores';
import { beforeAll, describe, expect, it } from 'vitest';
import { walkthrough } from '../../packages/client/examples/walkthrough.ts';
import { TYPES_FILE, typesOf } from '../../packages/client/scripts/generate-types.ts';
import { OpenApiValidator } from '../support/api-client.ts';
import { useDatabases } from '../support/databases.ts';
import { deadLetter } from '../support/dead-letters.ts';

const dbs = useDatabases();

/**
 * The typed client against the API in process (Hono's `app.fetch`, no socket), over a real
 * PostgreSQL. Every response goes through a validator of the document the app serves: a status,
 * a body or one of the API's headers that the document does not declare fails the test.
 */
type App = ReturnType<typeof createApp>;
let database: Database;
let app: App;
let validator: OpenApiValidator;
let adminKey: string;
let clientKey: string;

/** `fetch` for openapi-fetch: the app answers, the validator judges the answer against the document. */
const checkedFetch =
  (target: App) =>
  async (request: Request): Promise<Response> => {
    const res = await target.fetch(request);
    const text = await res.clone().text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const url = new URL(request.url);
    validator.check(request.method, url.pathname + url.search, {
      status: res.status,
      headers: res.headers,
      body,
      text,
    });
    return res;
  };

const client = (apiKey?: string, target: App = app): GenledgerClient =>
  createGenledgerClient({
    baseUrl: 'http://localhost',
    ...(apiKey ? { apiKey } : {}),
    fetch: checkedFetch(target),
  });

beforeAll(async () => {
  database = await dbs.open('postgres');
  const keys = storesOf(database).apiKeys;
  adminKey = (await keys.create({ name: 'contract admin', isAdmin: true })).key;
  clientKey = (await keys.create({ name: 'contract client', isAdmin: false })).key;
  app = createApp(
    httpDeps(database, {
      queue: noQueue,
      logger: silentLogger,
      cursorSecret: 'k'.repeat(40),
      console: false,
      allowPrivateWebhooks: true,
    }),
  );
  validator = new OpenApiValidator(await (await app.request('/openapi.json')).json());
});

describe('the typed client, validated against the served document', () => {
  it('commits the types generated from the document the API serves (npm run client:generate)', async () => {
    const served = (await (await app.request('/openapi.json')).json()) as object;
    expect(await typesOf(served), 'run `npm run client:generate`').toBe(readFileSync(TYPES_FILE, 'utf8'));
  });

  it('runs the README walkthrough in TypeScript', async () => {
    const r = await walkthrough(client(adminKey));
    expect(r.health?.status).toBe('Healthy');
    expect(r.submitted).toMatchObject({ status: 'pending', prompt: 'a lighthouse at dusk', seed: 7 });
    expect(r.again?.id).toBe(r.submitted.id);
    expect(r.replayed).toBe('true');
    expect(r.generation?.id).toBe(r.submitted.id);
    expect(r.runs?.items).toEqual([]);
    expect(r.events?.items.map((e) => e.type)).toEqual(['GenerationRequested']);
    expect(r.page?.items.map((g) => g.id)).toEqual([r.submitted.id]);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme, 'the README quotes packages/client/examples/walkthrough.ts').toContain(readmeRegion());
  });

  it('walks keys, the event feed, webhooks and failed messages', async () => {
    const gl = client(adminKey);
    const key = await gl.POST('/api-keys', { body: { name: 'frontend', rateLimit: 600 } });
    expect(key.data?.key).toMatch(/^gl_/);
    expect((await gl.GET('/api-keys')).data?.items.length).toBeGreaterThanOrEqual(3);
    const feed = await gl.GET('/events', { params: { query: { after: 0, limit: 100 } } });
    expect(feed.data?.items.length).toBeGreaterThan(0);
    const endpoint = await gl.POST('/webhook-endpoints', {
      body: { url: 'http://127.0.0.1:9/hooks', events: ['generation.completed'] },
    });
    expect(endpoint.data?.secret).toMatch(/^whsec_/);
    const endpointId = endpoint.data!.id;
    expect(
      (await gl.GET('/webhook-endpoints/{id}', { params: { path: { id: endpointId } } })).data?.url,
    ).toBe('http://127.0.0.1:9/hooks');
    const ping = await gl.POST('/webhook-endpoints/{id}/test', { params: { path: { id: endpointId } } });
    expect(ping.response.status).toBe(202);
    const deliveries = await gl.GET('/webhook-endpoints/{id}/deliveries', {
      params: { path: { id: endpointId } },
    });
    expect(deliveries.data?.items.map((d) => d.id)).toEqual([ping.data?.deliveryId]);
    expect((await gl.GET('/webhooks/default/secret')).data?.key).toMatch(/^whsec_/);
    const path = { id: endpointId };
    const patched = await gl.PATCH('/webhook-endpoints/{id}', {
      params: { path },
      body: { description: 'the walkthrough' },
    });
    expect(patched.data?.description).toBe('the walkthrough');
    const rotated = await gl.POST('/webhook-endpoints/{id}/rotate-secret', { params: { path } });
    expect(rotated.data?.secret).not.toBe(endpoint.data?.secret);
    const redelivered = await gl.POST('/webhook-deliveries/{id}/redeliver', {
      params: { path: { id: ping.data!.deliveryId } },
    });
    expect(redelivered.response.status).toBe(202);
    expect((await gl.GET('/webhook-endpoints')).data?.items.map((e) => e.id)).toContain(endpointId);
    expect((await gl.DELETE('/webhook-endpoints/{id}', { params: { path } })).data?.deleted).toBe(true);
    const setting = await gl.PUT('/settings/{key}', {
      params: { path: { key: 'retention.failedMessageDays' } },
      body: { value: 30 },
    });
    expect(setting.data?.value).toBe(30);
    expect((await gl.GET('/settings')).data?.items.length).toBeGreaterThan(0);
    const revoked = await gl.DELETE('/api-keys/{id}', { params: { path: { id: key.data!.id } } });
    expect(revoked.data?.revokedAt).not.toBeNull();

    const stores = storesOf(database);
    const dead = await deadLetter(stores.failedMessages);
    const listed = await gl.GET('/failed-messages', { params: { query: { status: ['unresolved'] } } });
    expect(listed.data?.items.map((m) => m.id)).toContain(dead.id);
    const detail = await gl.GET('/failed-messages/{id}', { params: { path: { id: dead.id } } });
    expect(detail.data?.attempts).toHaveLength(1);
    const groups = await gl.GET('/failure-groups');
    const groupId = groups.data!.items[0]!.id;
    const archived = await gl.POST('/failure-groups/{id}/archive', { params: { path: { id: groupId } } });
    expect(archived.data).toMatchObject({ changed: 1, more: false });
    const unarchived = await gl.POST('/failed-messages/unarchive', { body: { ids: [dead.id] } });
    expect(unarchived.data?.changed).toBe(1);
    const retried = await gl.POST('/failed-messages/retry', { body: { ids: [dead.id] } });
    expect(retried.response.status).toBe(202);
    expect(retried.data?.retryBatch?.id).toBeDefined();
    expect((await gl.GET('/retry-batches')).data?.items.length).toBe(1);
    const resolved = await gl.POST('/failed-messages/resolve', { body: { ids: [dead.id] } });
    expect(resolved.data?.changed).toBe(1);
  });
});

describe('the error cases, each one declared with its headers', () => {
  const unknownGroup = 'f'.repeat(64);

  it('401 without a key or with an unknown one, saying how to authenticate', async () => {
    for (const gl of [client(), client(`gl_nope1234_${'x'.repeat(43)}`)]) {
      const r = await gl.GET('/generations');
      expect(r.response.status).toBe(401);
      expect(r.error?.title).toBe('Unauthorized');
      expect(r.response.headers.get('WWW-Authenticate')).toBe('Bearer realm="genledger"');
      expect(r.response.headers.get('RateLimit-Limit')).toBeNull();
    }
  });

  it('403 for a key that is not an admin on an admin route, after counting it', async () => {
    const r = await client(clientKey).GET('/failed-messages');
    expect(r.response.status).toBe(403);
    expect(r.response.headers.get('RateLimit-Remaining')).not.toBeNull();
  });

  it('404 for what does not exist: a generation, a failed message, bulk ids, a group', async () => {
    const gl = client(adminKey);
    const id = crypto.randomUUID();
    expect((await gl.GET('/generations/{id}', { params: { path: { id } } })).response.status).toBe(404);
    expect((await gl.GET('/failed-messages/{id}', { params: { path: { id } } })).response.status).toBe(404);
    for (const op of ['retry', 'archive', 'unarchive', 'resolve'] as const) {
      const r = await gl.POST(`/failed-messages/${op}`, { body: { ids: [id] } });
      expect(r.response.status, op).toBe(404);
    }
    for (const op of ['retry', 'archive', 'unarchive'] as const) {
      const r = await gl.POST(`/failure-groups/{id}/${op}`, { params: { path: { id: unknownGroup } } });
      expect(r.response.status, op).toBe(404);
    }
  });

  it('409 for a reused Idempotency-Key, a finished generation, an ineligible failed message', async () => {
    const gl = client(clientKey);
    const header = { 'Idempotency-Key': 'contract-409' };
    const first = await gl.POST('/generations', { params: { header }, body: { prompt: 'one' } });
    expect(first.response.status).toBe(202);
    const other = await gl.POST('/generations', { params: { header }, body: { prompt: 'another' } });
    expect(other.response.status).toBe(409);
    expect(other.error?.status).toBe(409);
    const path = { id: first.data!.id };
    expect((await gl.POST('/generations/{id}/cancel', { params: { path } })).response.status).toBe(200);
    expect((await gl.POST('/generations/{id}/cancel', { params: { path } })).response.status).toBe(409);

    const admin = client(adminKey);
    const dead = await deadLetter(storesOf(database).failedMessages);
    expect((await admin.POST('/failed-messages/resolve', { body: { ids: [dead.id] } })).data?.changed).toBe(
      1,
    );
    for (const op of ['retry', 'archive', 'unarchive', 'resolve'] as const) {
      const r = await admin.POST(`/failed-messages/${op}`, { body: { ids: [dead.id] } });
      expect(r.response.status, op).toBe(409);
    }
  });

  it('400 for a bad body or query, 413 for a body too large, 415 for one not JSON', async () => {
    const gl = client(clientKey);
    const noPrompt = await gl.POST('/generations', { body: {} as never });
    expect(noPrompt.response.status).toBe(400);
    expect(noPrompt.error?.errors?.map((e) => e.field)).toContain('prompt');
    const badStatus = await gl.GET('/generations', { params: { query: { status: ['bogus' as never] } } });
    expect(badStatus.response.status).toBe(400);
    const huge = await gl.POST('/generations', { body: { prompt: 'x'.repeat(70_000) } });
    expect(huge.response.status).toBe(413);
    const text = await checkedFetch(app)(
      new Request('http://localhost/generations', {
        method: 'POST',
        headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'text/plain' },
        body: 'a lighthouse',
      }),
    );
    expect(text.status).toBe(415);
  });

  it('429 over the rate limit, with Retry-After and the RateLimit headers', async () => {
    const made = await client(adminKey).POST('/api-keys', { body: { name: 'slow', rateLimit: 1 } });
    const gl = client(made.data!.key);
    expect((await gl.GET('/generations')).response.status).toBe(200);
    const limited = await gl.GET('/generations');
    expect(limited.response.status).toBe(429);
    expect(Number(limited.response.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(limited.response.headers.get('RateLimit-Remaining')).toBe('0');
  });

  it('503 with the health report while the database is unhealthy, and from every gated route', async () => {
    const deps = httpDeps(database, {
      queue: noQueue,
      logger: silentLogger,
      cursorSecret: 'k'.repeat(40),
      console: false,
    });
    const check = { status: 'Unhealthy' as const, detail: 'schema 11 behind code 12' };
    const sick = createApp({
      ...deps,
      health: async () => ({ status: 'Unhealthy', checks: { database: check, schema: check } }),
    });
    const health = await client(undefined, sick).GET('/health');
    expect(health.response.status).toBe(503);
    expect(health.error).toMatchObject({ status: 'Unhealthy' });
    expect(health.response.headers.get('Retry-After')).not.toBeNull();
    const gated = await client(adminKey, sick).GET('/generations');
    expect(gated.response.status).toBe(503);
    expect(gated.error?.status).toBe(503);
  });
});

describe('coverage', () => {
  it('exercised every operation of the document', async () => {
    // A callback URL no attempt has: the backends' route answers 404 (its success needs a backend).
    const callback = await client().POST('/callbacks/{token}', {
      params: { path: { token: 'x'.repeat(40) } },
    });
    expect(callback.response.status).toBe(404);
    await client().GET('/openapi.json');
    const gl = client(adminKey);
    for (const op of ['retry', 'unarchive'] as const) {
      const dead = await deadLetter(storesOf(database).failedMessages);
      if (op === 'unarchive') await gl.POST('/failed-messages/archive', { body: { ids: [dead.id] } });
      const group = (await gl.GET('/failed-messages/{id}', { params: { path: { id: dead.id } } })).data!
        .groups[0]!.id;
      const r = await gl.POST(`/failure-groups/{id}/${op}`, { params: { path: { id: group } } });
      expect(r.response.status, op).toBe(op === 'retry' ? 202 : 200);
    }
    const documented = Object.entries(validator.doc.paths as Record<string, object>).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    );
    expect(documented.filter((op) => !validator.operations.has(op))).toEqual([]);
  });
});

/** The README's TypeScript block: the example's marked region, as the README quotes it. */
function readmeRegion(): string {
  const source = readFileSync(
    new URL('../../packages/client/examples/walkthrough.ts', import.meta.url),
    'utf8',
  );
  const region = /\/\/ #region readme\n([\s\S]*?)\n\s*\/\/ #endregion readme/.exec(source)![1]!;
  return region
    .split('\n')
    .map((line) => line.replace(/^ {2}/, ''))
    .join('\n');
}
