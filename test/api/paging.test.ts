import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { expectProblem } from '../support/api-client.ts';
import { useDatabases } from '../support/databases.ts';
import { ADMIN_KEY, HTTP_TARGETS, useHttpApi } from '../support/http-api.ts';
import { message } from '../support/sqs-events.ts';

const dbs = useDatabases();

describe.each(HTTP_TARGETS)('HTTP API: keyset paging of the lists, over real HTTP on %s', (target) => {
  const http = useHttpApi(dbs, target);
  const { api, newKey } = http;

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
    await http.database.db.execute(sql`
      update ${http.database.tables.generations} set status = 'completed', completed_at = now() - (random() * interval '1 hour'),
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

  it('pages failed messages with the same signed cursors: no duplicates or gaps, bound to sort and filters, admin only', async () => {
    const { database } = http;
    const store = new FailedMessageStore(database, new EventStore(database));
    const at = Date.now() - 60_000;
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      const m = message();
      const recorded = await store.ingest({
        messageId: crypto.randomUUID(),
        body: JSON.stringify(m),
        attributes: {},
        receiveCount: 3,
        queue: 'arn:aws:sqs:local:0:main',
        // Two share each instant: the id decides between them, across a page boundary too.
        failedAt: new Date(at + Math.floor(i / 2) * 1000),
        generationId: m.generationId,
        messageType: 'generation.requested',
        model: 'sdxl',
        invalidReason: null,
      });
      ids.push(recorded.id);
    }
    for (const sort of ['-lastFailedAt', 'lastFailedAt', '-firstFailedAt', 'firstFailedAt']) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = `/failed-messages?sort=${sort}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await api.get(query, { key: ADMIN_KEY });
        expect(page.status, page.text).toBe(200);
        seen.push(...page.body.items.map((m: { id: string }) => m.id));
        cursor = page.body.nextCursor;
        pages++;
      } while (cursor && pages < 20);
      expect(pages, sort).toBe(4);
      expect([...seen].sort(), sort).toEqual([...ids].sort());
    }
    const first = await api.get('/failed-messages?limit=2', { key: ADMIN_KEY });
    const cursor = encodeURIComponent(first.body.nextCursor);
    // The default status filter is unresolved: naming it is the same query, so the same cursor.
    const same = await api.get(`/failed-messages?limit=2&status=unresolved&cursor=${cursor}`, {
      key: ADMIN_KEY,
    });
    expect(same.status, same.text).toBe(200);
    expect(same.body.items.map((m: { id: string }) => m.id)).not.toContain(first.body.items[0].id);
    for (const other of [
      'sort=lastFailedAt',
      'status=archived',
      'q=lighthouse',
      `groupId=${'0'.repeat(64)}`,
    ]) {
      expectProblem(
        await api.get(`/failed-messages?limit=2&${other}&cursor=${cursor}`, { key: ADMIN_KEY }),
        400,
        ['cursor'],
      );
    }
    // A cursor of the generations list is signed by the same key, yet not one of this list's.
    const k = await newKey();
    for (let i = 0; i < 2; i++) await api.post('/generations', { key: k.key, body: { prompt: `g ${i}` } });
    const generations = await api.get('/generations?limit=1', { key: ADMIN_KEY });
    expectProblem(
      await api.get(`/failed-messages?cursor=${encodeURIComponent(generations.body.nextCursor)}`, {
        key: ADMIN_KEY,
      }),
      400,
      ['cursor'],
    );
    expectProblem(await api.get('/failed-messages?cursor=garbage', { key: ADMIN_KEY }), 400, ['cursor']);
    expectProblem(await api.get('/failed-messages?limit=101', { key: ADMIN_KEY }), 400, ['limit']);
    expectProblem(await api.get('/failed-messages?limit=2', { key: k.key }), 403);
  });

  it('validated every response against the OpenAPI document', () => {
    expect(http.validator.validated).toBeGreaterThan(300);
  });
});
