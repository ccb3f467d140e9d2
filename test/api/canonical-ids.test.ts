import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';
import { deadLetter } from '../support/dead-letters.ts';
import { ADMIN_KEY, HTTP_TARGETS, useHttpApi } from '../support/http-api.ts';

const dbs = useDatabases();

/** What an answer says, without what differs between two calls of it (request ids, timing). */
const answer = (r: { status: number; body: unknown }) => ({ status: r.status, body: r.body });

describe.each(HTTP_TARGETS)('HTTP API: ids in upper case on %s', (target) => {
  const http = useHttpApi(dbs, target);
  const { api, newKey } = http;

  it('gives an upper-case id the same answers as lower-case on every route that takes one', async () => {
    const k = await newKey();
    const created = await api.post('/generations', { key: k.key, body: { prompt: 'a heron at dusk' } });
    const id = created.body.id as string;
    const ID = id.toUpperCase();
    expect(ID).not.toBe(id);

    for (const path of ['', '/runs', '/events']) {
      const lower = await api.get(`/generations/${id}${path}`, { key: k.key });
      expect(lower.status).toBe(200);
      expect(answer(await api.get(`/generations/${ID}${path}`, { key: k.key }))).toEqual(answer(lower));
    }
    const events = await api.get(`/generations/${ID}/events`, { key: k.key });
    expect(events.body.items.length).toBeGreaterThan(0);

    const cancelled = await api.post(`/generations/${ID}/cancel`, { key: k.key });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.id).toBe(id);
    expect((await api.post(`/generations/${id}/cancel`, { key: k.key })).status).toBe(409);

    const store = new FailedMessageStore(http.database, new EventStore(http.database));
    const failed = await deadLetter(store);
    const [group] = (await api.get('/failure-groups', { key: ADMIN_KEY })).body.items;
    const lowerDetail = await api.get(`/failed-messages/${failed.id}`, { key: ADMIN_KEY });
    expect(lowerDetail.status).toBe(200);
    const upperDetail = await api.get(`/failed-messages/${failed.id.toUpperCase()}`, { key: ADMIN_KEY });
    expect(answer(upperDetail)).toEqual(answer(lowerDetail));

    const archived = await api.post(`/failure-groups/${group.id.toUpperCase()}/archive`, { key: ADMIN_KEY });
    expect(archived.status).toBe(200);
    expect(archived.body.changed).toBe(1);
    const unarchived = await api.post('/failed-messages/unarchive', {
      key: ADMIN_KEY,
      body: { ids: [failed.id.toUpperCase()] },
    });
    expect(unarchived.status).toBe(200);
    expect(unarchived.body.changed).toBe(1);

    const revoked = await api.delete(`/api-keys/${k.id.toUpperCase()}`, { key: ADMIN_KEY });
    expect(revoked.status).toBeLessThan(300);
    expect((await api.get(`/generations/${id}`, { key: k.key })).status).toBe(401);
  });
});
