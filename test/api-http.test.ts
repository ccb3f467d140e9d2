import { noQueue } from '@genledger/api/no-queue';
import type { Database } from '@genledger/db/connect';
import { rowsOf } from '@genledger/db/executor';
import { type LocalServer, startLocalServer } from '@genledger/local/server';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, expectProblem, OpenApiValidator } from './support/api-client.ts';
import { useDatabases } from './support/databases.ts';

const dbs = useDatabases();
const ADMIN_KEY = `admin-key-for-tests-${'a'.repeat(40)}`;

describe.each(['pglite', 'postgres'] as const)('HTTP API over real HTTP on %s', (target) => {
  let database: Database;
  let server: LocalServer;
  let api: ApiClient;
  let validator: OpenApiValidator;

  beforeAll(async () => {
    database = await dbs.open(target);
    server = await startLocalServer({
      database,
      port: 0,
      // These tests look at accepted work before any worker touches it.
      queue: noQueue,
      env: { LOG_LEVEL: 'silent', ADMIN_API_KEY: ADMIN_KEY, CURSOR_SECRET: 'c'.repeat(40) },
    });
    const doc = await (await fetch(`${server.url}/openapi.json`)).json();
    validator = new OpenApiValidator(doc);
    api = new ApiClient(server.url, validator);
  });
  afterAll(async () => {
    await server?.close();
  });

  const counts = async () => ({
    generations: await database.db.$count(database.tables.generations),
    events: await database.db.$count(database.tables.events),
    keys: await database.db.$count(database.tables.apiKeys),
  });

  async function newKey(body: Record<string, unknown> = {}) {
    const res = await api.post('/api-keys', { key: ADMIN_KEY, body: { name: 'client', ...body } });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; key: string; prefix: string };
  }

  it('serves health and an OpenAPI 3.1 document of every route', async () => {
    const health = await api.get('/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe(target === 'pglite' ? 'Degraded' : 'Healthy');
    const doc = validator.doc;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/api-keys',
        '/api-keys/{id}',
        '/events',
        '/failed-messages',
        '/failed-messages/{id}',
        '/failed-messages/archive',
        '/failed-messages/resolve',
        '/failed-messages/retry',
        '/failed-messages/unarchive',
        '/failure-groups',
        '/failure-groups/{id}/archive',
        '/failure-groups/{id}/retry',
        '/failure-groups/{id}/unarchive',
        '/generations',
        '/generations/{id}',
        '/generations/{id}/cancel',
        '/generations/{id}/events',
        '/generations/{id}/runs',
        '/health',
        '/openapi.json',
        '/retry-batches',
        '/settings',
        '/settings/{key}',
      ].sort(),
    );
    expect(server.adminKey).toMatchObject({ created: true, usable: true });
  });

  it('enforces the auth matrix: no key, bad key, revoked, expired, non-admin, other owner', async () => {
    const noKey = await api.get('/generations');
    expectProblem(noKey, 401);
    expect(noKey.headers.get('www-authenticate')).toContain('Bearer');
    expectProblem(await api.get('/generations', { headers: { authorization: 'Basic abc' } }), 401);
    expectProblem(await api.get('/generations', { key: 'gl_AAAAAAAA_not-a-real-key-not-a-real-key' }), 401);
    expectProblem(await api.get('/generations', { key: 'x'.repeat(300) }), 401);

    const a = await newKey({ name: 'owner a' });
    const b = await newKey({ name: 'owner b' });
    // Same prefix, wrong secret: still 401, and the real key's window is not touched.
    expectProblem(await api.get('/generations', { key: `gl_${a.prefix}_${'z'.repeat(43)}` }), 401);

    const created = await api.post('/generations', { key: a.key, body: { prompt: 'owned by a' } });
    expect(created.status).toBe(202);
    const id = created.body.id;
    for (const path of [`/generations/${id}`, `/generations/${id}/runs`, `/generations/${id}/events`]) {
      expectProblem(await api.get(path, { key: b.key }), 404);
      expect((await api.get(path, { key: a.key })).status).toBe(200);
      expect((await api.get(path, { key: ADMIN_KEY })).status).toBe(200);
    }
    expectProblem(await api.post(`/generations/${id}/cancel`, { key: b.key }), 404);
    expect(
      (await api.get('/generations', { key: b.key })).body.items.map((g: { id: string }) => g.id),
    ).not.toContain(id);
    expect(
      (await api.get('/generations', { key: a.key })).body.items.map((g: { id: string }) => g.id),
    ).toContain(id);

    for (const [method, path] of [
      ['GET', '/api-keys'],
      ['POST', '/api-keys'],
      ['DELETE', `/api-keys/${b.id}`],
      ['GET', '/events'],
      ['GET', '/settings'],
      ['PUT', '/settings/retry.messagesPerSecond'],
    ] as const) {
      expectProblem(
        await api.call(method, path, {
          key: a.key,
          ...(method === 'GET' ? {} : { body: { name: 'x', value: 1 } }),
        }),
        403,
      );
    }

    const revoked = await api.delete(`/api-keys/${b.id}`, { key: ADMIN_KEY });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).not.toBeNull();
    const afterRevoke = await api.get('/generations', { key: b.key });
    expectProblem(afterRevoke, 401);
    expect(afterRevoke.body.detail).toContain('revoked');

    const c = await newKey({ name: 'expiring', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect((await api.get('/generations', { key: c.key })).status).toBe(200);
    await database.db.execute(
      sql`update ${database.tables.apiKeys} set expires_at = now() - interval '1 second' where id = ${c.id}`,
    );
    const expired = await api.get('/generations', { key: c.key });
    expectProblem(expired, 401);
    expect(expired.body.detail).toContain('expired');
  });

  it('manages API keys: created once in plaintext, listed without secrets, revoked idempotently, with events', async () => {
    const before = await counts();
    const k = await newKey({ name: 'managed', rateLimit: 50 });
    expect(k.key).toMatch(/^gl_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}$/);
    expect(k.key.slice(3, 11)).toBe(k.prefix);
    const list = await api.get('/api-keys', { key: ADMIN_KEY });
    expect(list.status).toBe(200);
    const listed = list.body.items.find((x: { id: string }) => x.id === k.id);
    expect(listed).toMatchObject({ name: 'managed', rateLimit: 50, isAdmin: false, revokedAt: null });
    expect(list.text).not.toContain(k.key.slice(12));
    expect(JSON.stringify(list.body)).not.toMatch(/[0-9a-f]{64}/);
    const [stored] = await rowsOf<{ key_hash: string }>(
      database.db.execute(sql`select key_hash from ${database.tables.apiKeys} where id = ${k.id}`),
    );
    expect(stored!.key_hash).toMatch(/^[0-9a-f]{64}$/);

    expect((await api.delete(`/api-keys/${k.id}`, { key: ADMIN_KEY })).status).toBe(200);
    expect((await api.delete(`/api-keys/${k.id}`, { key: ADMIN_KEY })).status).toBe(200);
    expectProblem(
      await api.delete('/api-keys/00000000-0000-4000-8000-000000000000', { key: ADMIN_KEY }),
      404,
    );
    expectProblem(await api.delete('/api-keys/not-a-uuid', { key: ADMIN_KEY }), 404);
    const stream = await api.get(`/events?after=0&limit=1000`, { key: ADMIN_KEY });
    const mine = stream.body.items.filter((e: { streamId: string }) => e.streamId === `api-key-${k.id}`);
    expect(mine.map((e: { type: string }) => e.type)).toEqual(['ApiKeyCreated', 'ApiKeyRevoked']);
    expect((await counts()).events).toBe(before.events + 2);

    expectProblem(await api.post('/api-keys', { key: ADMIN_KEY, body: { name: '' } }), 400, ['name']);
    expectProblem(await api.post('/api-keys', { key: ADMIN_KEY, body: { name: 'x', rateLimit: 0 } }), 400, [
      'rateLimit',
    ]);
    expectProblem(
      await api.post('/api-keys', { key: ADMIN_KEY, body: { name: 'x', expiresAt: '2001-01-01T00:00:00Z' } }),
      400,
      ['expiresAt'],
    );
  });

  it('accepts generations (202, defaults, not enqueued without a queue), gets, cancels (409 once finished), lists runs and events', async () => {
    const k = await newKey();
    const res = await api.post('/generations', {
      key: k.key,
      body: { prompt: 'a red fox in snow', seed: 42, width: 512 },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      status: 'pending',
      model: 'sdxl',
      width: 512,
      height: 1024,
      steps: 20,
      guidance: 7.5,
      seed: 42,
    });
    expect(res.headers.get('location')).toBe(`/generations/${res.body.id}`);
    const id = res.body.id as string;
    const [row] = await rowsOf<{ enqueued_at: unknown }>(
      database.db.execute(sql`select enqueued_at from ${database.tables.generations} where id = ${id}`),
    );
    expect(row!.enqueued_at).toBeNull();

    expect((await api.get(`/generations/${id}`, { key: k.key })).body).toEqual(res.body);
    expectProblem(await api.get('/generations/not-a-uuid', { key: k.key }), 404);
    expectProblem(await api.get('/generations/00000000-0000-4000-8000-000000000000', { key: k.key }), 404);

    expect((await api.get(`/generations/${id}/runs`, { key: k.key })).body).toEqual({ items: [] });
    await database.db.execute(sql`
      insert into ${database.tables.generationRuns} (generation_id, attempt, message_id, status, error_type, error_message)
      values (${id}, 1, 'm-1', 'failed', 'TimeoutError', 'took too long')`);
    const runs = await api.get(`/generations/${id}/runs`, { key: k.key });
    expect(runs.body.items).toMatchObject([
      { attempt: 1, messageId: 'm-1', status: 'failed', errorType: 'TimeoutError' },
    ]);

    const cancelled = await api.post(`/generations/${id}/cancel`, { key: k.key });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expectProblem(await api.post(`/generations/${id}/cancel`, { key: k.key }), 409);
    const events = await api.get(`/generations/${id}/events`, { key: k.key });
    expect(events.body.items.map((e: { type: string }) => e.type)).toEqual([
      'GenerationRequested',
      'GenerationCancelled',
    ]);
    expect(events.body.items[0].event).toMatchObject({ generationId: id, source: 'http', apiKeyId: k.id });
  });

  it('honours Idempotency-Key: same body → the original, other body → 409, scoped per key', async () => {
    const k = await newKey();
    const other = await newKey();
    const headers = { 'idempotency-key': 'order-123' };
    const first = await api.post('/generations', {
      key: k.key,
      headers,
      body: { prompt: 'once', steps: 10 },
    });
    const again = await api.post('/generations', {
      key: k.key,
      headers,
      body: { steps: 10, prompt: 'once' },
    });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const before = await counts();
    expectProblem(await api.post('/generations', { key: k.key, headers, body: { prompt: 'twice' } }), 409);
    expect(await counts()).toEqual(before);
    const elsewhere = await api.post('/generations', {
      key: other.key,
      headers,
      body: { prompt: 'once', steps: 10 },
    });
    expect(elsewhere.status).toBe(202);
    expect(elsewhere.body.id).not.toBe(first.body.id);
    expectProblem(
      await api.post('/generations', {
        key: k.key,
        headers: { 'idempotency-key': 'x'.repeat(256) },
        body: { prompt: 'p' },
      }),
      400,
    );
  });

  it('rate-limits per key per minute in the database: 429 with Retry-After and RateLimit-* headers, nothing written', async () => {
    const k = await newKey({ rateLimit: 3 });
    for (let i = 0; i < 3; i++) {
      const ok = await api.get('/generations', { key: k.key });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-limit')).toBe('3');
      expect(ok.headers.get('ratelimit-remaining')).toBe(String(2 - i));
    }
    const before = await counts();
    const limited = await api.post('/generations', { key: k.key, body: { prompt: 'over the limit' } });
    expectProblem(limited, 429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers.get('ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('ratelimit-reset')).toBe(String(retryAfter));
    expect(await counts()).toEqual(before);
    // Another key is not affected.
    expect((await api.get('/generations', { key: ADMIN_KEY })).status).toBe(200);
  });

  it('pages with an opaque cursor without duplicates or gaps while rows are inserted, in every sort', async () => {
    const k = await newKey({ rateLimit: 10_000 });
    const original: string[] = [];
    for (let i = 0; i < 23; i++) {
      const r = await api.post('/generations', {
        key: k.key,
        body: { prompt: `paging item ${i}`, name: `n${String(i % 5)}` },
      });
      original.push(r.body.id);
    }
    // Some finished generations, so nullable sorts (completedAt, durationMs) have values and nulls.
    await database.db.execute(sql`
      update ${database.tables.generations} set status = 'completed', completed_at = now() - (random() * interval '1 hour'),
             duration_ms = (random() * 5)::int
      where id in (select jsonb_array_elements_text(${JSON.stringify(original.filter((_, i) => i % 3 === 0))}::jsonb)::uuid)`);
    for (const sort of [
      '-createdAt',
      'createdAt',
      'name',
      '-name',
      'completedAt',
      '-completedAt',
      'durationMs',
      '-durationMs',
    ]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `/generations?sort=${sort}&limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await api.get(query, { key: k.key });
        expect(page.status, page.text).toBe(200);
        seen.push(...page.body.items.map((g: { id: string }) => g.id));
        cursor = page.body.nextCursor;
        // Concurrent inserts between pages must neither duplicate nor hide the originals.
        await api.post('/generations', {
          key: k.key,
          body: { prompt: `inserted while paging ${sort} ${pages}` },
        });
        pages++;
      } while (cursor && pages < 100);
      expect(new Set(seen).size, `${sort}: duplicates`).toBe(seen.length);
      for (const id of original) expect(seen, `${sort}: gap`).toContain(id);
    }
    const sorted = await api.get('/generations?sort=durationMs&limit=100', { key: k.key });
    const durations = sorted.body.items.map((g: { durationMs: number | null }) => g.durationMs);
    const firstNull = durations.indexOf(null);
    expect(durations.slice(firstNull).every((d: number | null) => d === null)).toBe(true);
    expect(durations.slice(0, firstNull)).toEqual(
      [...durations.slice(0, firstNull)].sort((a: number, b: number) => a - b),
    );
  });

  it('rejects tampered cursors, cursors of another query, and sorts outside the allowlist', async () => {
    const k = await newKey();
    for (let i = 0; i < 3; i++) await api.post('/generations', { key: k.key, body: { prompt: `c ${i}` } });
    const page = await api.get('/generations?limit=1', { key: k.key });
    const cursor: string = page.body.nextCursor;
    expect(cursor).toBeTruthy();
    const [payload, mac] = cursor.split('.');
    const forged = `${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), i: '00000000-0000-4000-8000-000000000000' })).toString('base64url')}.${mac}`;
    expectProblem(
      await api.get(`/generations?limit=1&cursor=${encodeURIComponent(forged)}`, { key: k.key }),
      400,
      ['cursor'],
    );
    expectProblem(await api.get(`/generations?limit=1&cursor=garbage`, { key: k.key }), 400, ['cursor']);
    expectProblem(
      await api.get(`/generations?limit=1&sort=name&cursor=${encodeURIComponent(cursor)}`, { key: k.key }),
      400,
      ['cursor'],
    );
    expectProblem(
      await api.get(`/generations?limit=1&model=x&cursor=${encodeURIComponent(cursor)}`, { key: k.key }),
      400,
      ['cursor'],
    );
    for (const sort of ['prompt', 'id', '--createdAt', 'createdAt;drop table x', '']) {
      const r = await api.get(`/generations?sort=${encodeURIComponent(sort)}`, { key: k.key });
      expectProblem(r, 400, ['sort']);
    }
    expectProblem(await api.get('/generations?limit=0', { key: k.key }), 400, ['limit']);
    expectProblem(await api.get('/generations?limit=101', { key: k.key }), 400, ['limit']);
    expectProblem(await api.get('/generations?limit=1&limit=2', { key: k.key }), 400, ['limit']);
    expectProblem(await api.get('/generations?unknown=1', { key: k.key }), 400);
    expectProblem(await api.get('/generations?status=done', { key: k.key }), 400);
  });

  it('filters by status (several), model, from/to, and full text over name and prompt', async () => {
    const k = await newKey({ rateLimit: 1000 });
    const make = async (body: Record<string, unknown>) =>
      (await api.post('/generations', { key: k.key, body })).body.id as string;
    const fox = await make({ prompt: 'a quick brown fox jumps', model: 'flux' });
    const foxes = await make({ prompt: 'portrait', name: 'Foxes at dawn' });
    const cat = await make({ prompt: 'a sleepy cat', model: 'flux' });
    await api.post(`/generations/${cat}/cancel`, { key: k.key });
    const ids = async (query: string) => {
      const r = await api.get(`/generations?${query}`, { key: k.key });
      expect(r.status, r.text).toBe(200);
      return (r.body.items as { id: string }[]).map((g) => g.id).sort();
    };
    expect(await ids('q=fox')).toEqual([fox, foxes].sort());
    expect(await ids('q=fox%20-portrait')).toEqual([fox]);
    expect(await ids('q=%22sleepy%20cat%22')).toEqual([cat]);
    expect(await ids('q=%22unbalanced%20OR%20-')).toEqual([]);
    expect(await ids('model=flux')).toEqual([fox, cat].sort());
    expect(await ids('status=cancelled')).toEqual([cat]);
    expect(await ids('status=pending,cancelled')).toEqual([fox, foxes, cat].sort());
    expect(await ids('status=pending&status=cancelled&model=flux')).toEqual([fox, cat].sort());
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const past = new Date(Date.now() - 3_600_000).toISOString();
    expect(await ids(`from=${encodeURIComponent(future)}`)).toEqual([]);
    expect(await ids(`from=${encodeURIComponent(past)}&to=${encodeURIComponent(future)}`)).toEqual(
      [fox, foxes, cat].sort(),
    );
    expectProblem(
      await api.get(`/generations?from=${encodeURIComponent(future)}&to=${encodeURIComponent(past)}`, {
        key: k.key,
      }),
      400,
    );
    expectProblem(await api.get('/generations?from=yesterday', { key: k.key }), 400, ['from']);
  });

  it('turns malformed, oversized, mistyped and wrongly typed bodies into 4xx problems and writes nothing', async () => {
    const k = await newKey({ rateLimit: 1000 });
    const before = await counts();
    expectProblem(
      await api.post('/generations', {
        key: k.key,
        raw: '{"prompt": ',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      ['body'],
    );
    expectProblem(
      await api.post('/generations', {
        key: k.key,
        raw: '[1,2]',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      ['body'],
    );
    expectProblem(
      await api.post('/generations', {
        key: k.key,
        raw: '"text"',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      ['body'],
    );
    expectProblem(
      await api.post('/generations', {
        key: k.key,
        raw: '',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      ['body'],
    );
    expectProblem(
      await api.post('/generations', {
        key: k.key,
        raw: '{"prompt":"x"}',
        headers: { 'content-type': 'text/plain' },
      }),
      415,
    );
    expectProblem(await api.post('/generations', { key: k.key, raw: '{"prompt":"x"}' }), 415);
    const big = JSON.stringify({ prompt: 'x', name: 'y'.repeat(70 * 1024) });
    expectProblem(
      await api.post('/generations', {
        key: k.key,
        raw: big,
        headers: { 'content-type': 'application/json' },
      }),
      413,
    );
    const invalid = await api.post('/generations', {
      key: k.key,
      body: {
        prompt: '',
        width: 10,
        steps: 1.5,
        guidance: 99,
        seed: 'x',
        extra: true,
        negativePrompt: 'n'.repeat(4001),
      },
    });
    expectProblem(invalid, 400, ['prompt', 'width', 'steps', 'guidance', 'seed', 'negativePrompt']);
    expectProblem(await api.post('/generations', { key: k.key, body: { prompt: 'p'.repeat(4001) } }), 400, [
      'prompt',
    ]);
    expect(await counts()).toEqual(before);
    // A body at the limit's edge is still read (and validated: prompt too long).
    const edge = JSON.stringify({ prompt: 'p'.repeat(60 * 1024) });
    expectProblem(
      await api.post('/generations', {
        key: k.key,
        raw: edge,
        headers: { 'content-type': 'application/json' },
      }),
      400,
    );
    expect(
      (
        await api.post('/generations', {
          key: k.key,
          raw: '{"prompt":"ok"}',
          headers: { 'content-type': 'application/json; charset=utf-8' },
        })
      ).status,
    ).toBe(202);
  });

  it('reads a chunked body (no Content-Length) up to the limit and refuses a larger one, writing nothing', async () => {
    const k = await newKey();
    const chunked = (text: string) =>
      fetch(`${server.url}/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${k.key}`, 'content-type': 'application/json' },
        body: new ReadableStream({
          start(controller) {
            const bytes = new TextEncoder().encode(text);
            for (let i = 0; i < bytes.length; i += 8192) controller.enqueue(bytes.subarray(i, i + 8192));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
    const before = await counts();
    const big = await chunked(JSON.stringify({ prompt: 'x', name: 'y'.repeat(70 * 1024) }));
    expect(big.status).toBe(413);
    expect(big.headers.get('content-type')).toContain('application/problem+json');
    expect(await counts()).toEqual(before);
    // 16 KB of two-byte characters: chunk boundaries fall inside characters.
    const prompt = `a lighthouse, sent in chunks ${'é'.repeat(3900)}`;
    const ok = await chunked(JSON.stringify({ prompt, negativePrompt: 'ü'.repeat(4000) }));
    expect(ok.status).toBe(202);
    const created = (await ok.json()) as { prompt: string; negativePrompt: string };
    expect(created.prompt).toBe(prompt);
    expect(created.negativePrompt).toBe('ü'.repeat(4000));
  });

  it('answers unknown routes with a 404 problem and echoes a sane X-Request-Id', async () => {
    const r = await api.get('/nope');
    expectProblem(r, 404);
    const echoed = await api.get('/health', { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-abc.123');
    const replaced = await api.get('/health', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expectProblem(await api.call('PATCH', '/generations'), 404);
  });

  it('serves the global event feed in order, paged by `after`', async () => {
    const k = await newKey();
    await api.post('/generations', { key: k.key, body: { prompt: 'feed 1' } });
    const all = await api.get('/events?after=0&limit=1000', { key: ADMIN_KEY });
    expect(all.status).toBe(200);
    const sequences = all.body.items.map((e: { sequence: number }) => e.sequence);
    expect(sequences).toEqual([...sequences].sort((a: number, b: number) => a - b));
    const first = await api.get('/events?limit=2', { key: ADMIN_KEY });
    const rest = await api.get(`/events?after=${first.body.next}&limit=1000`, { key: ADMIN_KEY });
    expect([...first.body.items, ...rest.body.items].map((e: { sequence: number }) => e.sequence)).toEqual(
      sequences,
    );
    const end = await api.get(`/events?after=${rest.body.next}`, { key: ADMIN_KEY });
    expect(end.body).toEqual({ items: [], next: rest.body.next });
    expectProblem(await api.get('/events?after=-1', { key: ADMIN_KEY }), 400, ['after']);
    expectProblem(await api.get('/events?limit=abc', { key: ADMIN_KEY }), 400, ['limit']);
  });

  it('reads and changes runtime settings, validated per key, with an event', async () => {
    const list = await api.get('/settings', { key: ADMIN_KEY });
    expect(list.body.items.find((s: { key: string }) => s.key === 'retry.messagesPerSecond')).toMatchObject({
      value: 50,
      isDefault: true,
    });
    const put = await api.put('/settings/retry.messagesPerSecond', { key: ADMIN_KEY, body: { value: 20 } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ key: 'retry.messagesPerSecond', value: 20, isDefault: false });
    expectProblem(
      await api.put('/settings/retry.messagesPerSecond', { key: ADMIN_KEY, body: { value: 0 } }),
      400,
      ['value'],
    );
    expectProblem(
      await api.put('/settings/retry.messagesPerSecond', { key: ADMIN_KEY, body: { value: 'fast' } }),
      400,
      ['value'],
    );
    expectProblem(await api.put('/settings/retry.messagesPerSecond', { key: ADMIN_KEY, body: {} }), 400, [
      'value',
    ]);
    expectProblem(await api.put('/settings/no.such.key', { key: ADMIN_KEY, body: { value: 1 } }), 404);
    const again = await api.get('/settings', { key: ADMIN_KEY });
    expect(again.body.items.find((s: { key: string }) => s.key === 'retry.messagesPerSecond')).toMatchObject({
      value: 20,
    });
    const feed = await api.get('/events?after=0&limit=1000', { key: ADMIN_KEY });
    expect(feed.body.items.filter((e: { type: string }) => e.type === 'SettingChanged')).toHaveLength(1);
  });

  it('validated every response against the OpenAPI document', () => {
    expect(validator.validated).toBeGreaterThan(100);
  });
});
