import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { expectProblem } from '../support/api-client.ts';
import { useDatabases } from '../support/databases.ts';
import { ADMIN_KEY, HTTP_TARGETS, useHttpApi } from '../support/http-api.ts';

const dbs = useDatabases();

describe.each(HTTP_TARGETS)('HTTP API: authentication and rate limits, over real HTTP on %s', (target) => {
  const http = useHttpApi(dbs, target);
  const { api, counts, newKey } = http;

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
    await http.database.db.execute(
      sql`update ${http.database.tables.apiKeys} set expires_at = now() - interval '1 second' where id = ${c.id}`,
    );
    const expired = await api.get('/generations', { key: c.key });
    expectProblem(expired, 401);
    expect(expired.body.detail).toContain('expired');
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

  it('validated every response against the OpenAPI document', () => {
    expect(http.validator.validated).toBeGreaterThan(30);
  });
});
