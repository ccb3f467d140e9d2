import { EventStore } from '@genledger/db/event-store';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../packages/db/src/executor.ts';
import { expectProblem } from '../support/api-client.ts';
import { useDatabases } from '../support/databases.ts';
import { ADMIN_KEY, HTTP_TARGETS, useHttpApi } from '../support/http-api.ts';

const dbs = useDatabases();

describe.each(HTTP_TARGETS)('HTTP API: keys, event feed, settings on %s', (target) => {
  const http = useHttpApi(dbs, target);
  const { api, counts, newKey } = http;

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
      http.database.db.execute(sql`select key_hash from ${http.database.tables.apiKeys} where id = ${k.id}`),
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
      await api.post('/api-keys', {
        key: ADMIN_KEY,
        body: { name: 'x', expiresAt: '2001-01-01T00:00:00Z' },
      }),
      400,
      ['expiresAt'],
    );
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
    // Past 2^53 a sequence could not be told from its neighbour: one clear error, not two for one bound.
    const huge = await api.get('/events?after=99999999999999999999', { key: ADMIN_KEY });
    expectProblem(huge, 400, ['after']);
    expect(huge.body.errors).toHaveLength(1);
    expectProblem(await api.get('/events?limit=abc', { key: ADMIN_KEY }), 400, ['limit']);
  });

  it('pages the feed through archived history with the `next` it hands out, and refuses a sequence no event has', async () => {
    const k = await newKey();
    for (let i = 0; i < 3; i++)
      await api.post('/generations', { key: k.key, body: { prompt: `archived ${i}` } });
    const before = await api.get('/events?after=0&limit=1000', { key: ADMIN_KEY });
    const sequences = before.body.items.map((e: { sequence: number }) => e.sequence);
    const store = new EventStore(http.database);
    const { moved } = await store.archive({ olderThan: new Date(Date.now() + 60_000) });
    expect(moved).toBeGreaterThan(2);
    // A reader two events at a time, as a consumer that fell behind the archive would page: each
    // `next` is an event that now lives in the archive, and must resume after it.
    const paged: number[] = [];
    let after = 0;
    for (let page = 0; page <= sequences.length; page++) {
      const r = await api.get(`/events?after=${after}&limit=2`, { key: ADMIN_KEY });
      expect(r.status).toBe(200);
      paged.push(...r.body.items.map((e: { sequence: number }) => e.sequence));
      if (r.body.next === after) break;
      after = r.body.next;
    }
    expect(paged).toEqual(sequences);
    // A sequence no event has is not a place in the feed: a clear 404, never a silent restart
    // from the beginning (which would hand a consumer everything again).
    const missing = Math.max(...sequences) + 1000;
    expectProblem(await api.get(`/events?after=${missing}`, { key: ADMIN_KEY }), 404);
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
    expect(http.validator.validated).toBeGreaterThan(20);
  });
});
