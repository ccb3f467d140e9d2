import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../packages/db/src/executor.ts';
import { expectProblem } from '../support/api-client.ts';
import { useDatabases } from '../support/databases.ts';
import { HTTP_TARGETS, useHttpApi } from '../support/http-api.ts';

const dbs = useDatabases();

describe.each(HTTP_TARGETS)('HTTP API: generations, over real HTTP on %s', (target) => {
  const http = useHttpApi(dbs, target);
  const { api, counts, newKey } = http;

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
      http.database.db.execute(
        sql`select enqueued_at from ${http.database.tables.generations} where id = ${id}`,
      ),
    );
    expect(row!.enqueued_at).toBeNull();

    expect((await api.get(`/generations/${id}`, { key: k.key })).body).toEqual(res.body);
    expectProblem(await api.get('/generations/not-a-uuid', { key: k.key }), 404);
    expectProblem(await api.get('/generations/00000000-0000-4000-8000-000000000000', { key: k.key }), 404);

    expect((await api.get(`/generations/${id}/runs`, { key: k.key })).body).toEqual({ items: [] });
    await http.database.db.execute(sql`
      insert into ${http.database.tables.generationRuns} (generation_id, attempt, message_id, status, error_type, error_message)
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

  it('validated every response against the OpenAPI document', () => {
    expect(http.validator.validated).toBeGreaterThan(30);
  });
});
