// The request path's database cost on a real server: POST /generations and GET /generations/:id
// are one round trip each (key check, rate-limit count and the work in one statement), and the
// order of answers (401, 429, 403 before 400 or 404) is what it was with two.
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { type LocalServer, startLocalServer } from '@genledger/local/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, expectProblem } from '../support/api-client.ts';
import { useDatabases } from '../support/databases.ts';
import { countRoundTrips } from '../support/round-trips.ts';

const dbs = useDatabases();
const ADMIN_KEY = `admin-key-for-tests-${'r'.repeat(40)}`;

describe('request path round trips on a real server', () => {
  let database: Database;
  let server: LocalServer;
  let api: ApiClient;
  let trips: ReturnType<typeof countRoundTrips>;

  beforeAll(async () => {
    database = await dbs.open('postgres');
    server = await startLocalServer({
      database,
      port: 0,
      queue: { send: async () => ({ failed: [] }) },
      env: { LOG_LEVEL: 'silent', ADMIN_API_KEY: ADMIN_KEY, CURSOR_SECRET: 'c'.repeat(40) },
    });
    api = new ApiClient(server.url);
    // Warm the health gate's cache: it is not part of a request's cost.
    await api.get('/health');
    trips = countRoundTrips();
  });
  afterAll(async () => {
    trips?.restore();
    await server?.close();
  });

  async function newKey(body: Record<string, unknown> = {}) {
    const res = await api.post('/api-keys', { key: ADMIN_KEY, body: { name: 'client', ...body } });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; key: string; prefix: string };
  }

  /** Round trips of one call, after the health cache is warm. */
  async function counted<T>(call: () => Promise<T>): Promise<{ result: T; roundTrips: number }> {
    await api.get('/health');
    trips.reset();
    const result = await call();
    return { result, roundTrips: trips.count };
  }

  it('POST /generations is one round trip and records the owner in the row and its event', async () => {
    const a = await newKey({ name: 'one trip' });
    // The first request without a model reads the default model setting (then once a minute).
    const first = await counted(() =>
      api.post('/generations', { key: a.key, body: { prompt: 'the first' } }),
    );
    expect(first.result.status, first.result.text).toBe(202);
    expect(first.roundTrips).toBe(2);
    const { result: res, roundTrips } = await counted(() =>
      api.post('/generations', { key: a.key, body: { prompt: 'one round trip' } }),
    );
    expect(res.status, res.text).toBe(202);
    expect(roundTrips).toBe(1);
    expect(res.headers.get('ratelimit-remaining')).toBe('98');

    const [event] = await new EventStore(database).readStream(`generation-${res.body.id}`);
    expect(event!.event).toMatchObject({ type: 'GenerationRequested', apiKeyId: a.id });
    expect(event!.metadata).toMatchObject({ apiKeyId: a.id });
    // The owner is the key's: another key cannot see it, the owner and an admin can.
    const b = await newKey({ name: 'other' });
    expectProblem(await api.get(`/generations/${res.body.id}`, { key: b.key }), 404);
    expect((await api.get(`/generations/${res.body.id}`, { key: a.key })).status).toBe(200);
    expect((await api.get(`/generations/${res.body.id}`, { key: ADMIN_KEY })).status).toBe(200);
  });

  it('GET /generations/:id is one round trip, found or not', async () => {
    const a = await newKey({ name: 'reader' });
    const created = await api.post('/generations', { key: a.key, body: { prompt: 'read me' } });
    const found = await counted(() => api.get(`/generations/${created.body.id}`, { key: a.key }));
    expect(found.result.status).toBe(200);
    expect(found.result.body.prompt).toBe('read me');
    expect(found.roundTrips).toBe(1);
    const missing = await counted(() => api.get(`/generations/${crypto.randomUUID()}`, { key: a.key }));
    expectProblem(missing.result, 404);
    expect(missing.roundTrips).toBe(1);
  });

  it('a bad key is 401 before a bad body or a bad id, and nothing is written', async () => {
    const before = await database.db.$count(database.tables.generations);
    const badKey = 'gl_AAAAAAAA_not-a-real-key-not-a-real-key';
    expectProblem(await api.post('/generations', { key: badKey, body: { prompt: '' } }), 401);
    expectProblem(await api.post('/generations', { key: badKey, raw: '{not json' }), 401);
    expectProblem(await api.post('/generations', { key: badKey, body: { prompt: 'fine' } }), 401);
    expectProblem(await api.get('/generations/not-a-uuid', { key: badKey }), 401);
    expectProblem(await api.get(`/generations/${crypto.randomUUID()}`, { key: badKey }), 401);
    const a = await newKey({ name: 'valid' });
    expectProblem(await api.post('/generations', { key: a.key, body: { prompt: '' } }), 400);
    expectProblem(await api.get('/generations/not-a-uuid', { key: a.key }), 404);
    expect(await database.db.$count(database.tables.generations)).toBe(before);
  });

  it('over the rate limit: 429 with headers and no work, even with an invalid body', async () => {
    const a = await newKey({ name: 'limited', rateLimit: 2 });
    expect((await api.post('/generations', { key: a.key, body: { prompt: 'one' } })).status).toBe(202);
    expect((await api.post('/generations', { key: a.key, body: { prompt: 'two' } })).status).toBe(202);
    const before = await database.db.$count(database.tables.generations);
    const limited = await api.post('/generations', { key: a.key, body: { prompt: 'three' } });
    expectProblem(limited, 429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expectProblem(await api.post('/generations', { key: a.key, body: { prompt: '' } }), 429);
    expectProblem(await api.get(`/generations/${crypto.randomUUID()}`, { key: a.key }), 429);
    expect(await database.db.$count(database.tables.generations)).toBe(before);
  });

  it('an idempotent replay returns the original (a second round trip only then)', async () => {
    const a = await newKey({ name: 'idempotent' });
    const headers = { 'idempotency-key': 'same-key' };
    const first = await api.post('/generations', { key: a.key, body: { prompt: 'once' }, headers });
    expect(first.status).toBe(202);
    const replay = await counted(() =>
      api.post('/generations', { key: a.key, body: { prompt: 'once' }, headers }),
    );
    expect(replay.result.status).toBe(202);
    expect(replay.result.body.id).toBe(first.body.id);
    expect(replay.result.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.roundTrips).toBe(2);
    expectProblem(await api.post('/generations', { key: a.key, body: { prompt: 'other' }, headers }), 409);
  });
});
