import { ApiKeyStore } from '@genledger/db/api-key-store';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { describe, expect, it } from 'vitest';
import { BASE, useConsoleHtml } from '../support/console-html-app.ts';
import { deadLetter } from '../support/dead-letters.ts';

/**
 * The console's pages and forms at the HTML level (no browser): keys, settings, access rules,
 * filters and paging, failed-message actions. Sessions are in console-html-sessions.test.ts, the
 * browser flows in console-browser.test.ts.
 */
const { h, req, signIn, csrfOf, post, follow } = useConsoleHtml('console_html_pages');

describe('console pages (HTML level)', () => {
  it('shows a created key once, never in a URL, and revokes keys', async () => {
    const { cookie } = await signIn(h.adminKey);
    const token = await csrfOf(cookie);
    const res = await post('/console/keys', cookie, { name: 'batch job', rateLimit: '600', _csrf: token });
    // Post/redirect/get: a reload after "Create key" reloads the list and creates nothing.
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/keys');
    expect(res.headers.get('set-cookie')).toMatch(
      /^gl_flash=[^;]+; Path=\/console; Max-Age=120; HttpOnly; SameSite=Strict$/,
    );
    const shown = await follow(res, cookie);
    const key = /data-testid="new-key">(gl_[^<]+)</.exec(shown.html)?.[1];
    expect(key).toBeDefined();
    // The flash is cleared as it is shown, sealed (the key is not readable in the cookie), and
    // bound to its session.
    expect(shown.page.headers.get('set-cookie')).toContain('gl_flash=; Path=/console; Max-Age=0');
    const sealed = /gl_flash=([^;]+)/.exec(res.headers.get('set-cookie')!)![1]!;
    expect(Buffer.from(sealed, 'base64url').toString('latin1')).not.toContain(key!.slice(0, 12));
    const other = await signIn(h.adminKey);
    const stolen = await (
      await req('/console/keys', { cookie: `${other.cookie}; gl_flash=${sealed}` })
    ).text();
    expect(stolen).not.toContain(key!);
    const list = await (await req('/console/keys', { cookie })).text();
    expect(list).toContain('batch job');
    expect(list).not.toContain(key!);
    const id = [...list.matchAll(/action="\/console\/keys\/([0-9a-f-]{36})\/revoke"/g)].map((m) => m[1]);
    const store = new ApiKeyStore(h.database, new EventStore(h.database));
    const target = (await store.list()).find((k) => k.name === 'batch job')!;
    expect(id).toContain(target.id);
    const revoke = await post(`/console/keys/${target.id}/revoke`, cookie, { _csrf: token });
    expect((await follow(revoke, cookie)).flash).toBe('Key batch job revoked.');
    expect((await store.list()).find((k) => k.id === target.id)!.revokedAt).not.toBeNull();

    const invalid = await post('/console/keys', cookie, { name: '', rateLimit: 'lots', _csrf: token });
    expect(invalid.status).toBe(400);
    expect(await invalid.text()).toContain('rateLimit');
  });

  it('validates settings, keeps what was typed on a bad one, and bounds the inputs by the schemas', async () => {
    const { cookie } = await signIn(h.adminKey);
    const token = await csrfOf(cookie);
    const form = await (await req('/console/settings', { cookie })).text();
    expect(form).toMatch(
      /id="setting-retry-messagesPerSecond" type="number" name="value" value="\d+" min="1" max="1000" step="1"/,
    );
    expect(form).toMatch(
      /id="setting-generation-defaultModel" type="text" name="value" value="[^"]+" minlength="1" maxlength="\d+"/,
    );
    const bad = await post('/console/settings', cookie, {
      key: 'retry.messagesPerSecond',
      value: '5000',
      _csrf: token,
    });
    expect(bad.status).toBe(400);
    const html = await bad.text();
    expect(html).toContain('role="alert"');
    expect(html).toContain('aria-invalid="true"');
    expect(html).toMatch(/name="value" value="5000"/);
    const good = await post('/console/settings', cookie, {
      key: 'retry.messagesPerSecond',
      value: '25',
      _csrf: token,
    });
    const saved = await follow(good, cookie);
    expect(saved.location).toBe('/console/settings');
    expect(saved.flash).toBe('Saved retry.messagesPerSecond.');
    expect(saved.html).toMatch(/name="value" value="25"/);
  });

  it('gives a non-admin key its own generations and no admin page', async () => {
    const { cookie } = await signIn(h.clientKey);
    for (const path of [
      '/console/failed',
      '/console/retries',
      '/console/events',
      '/console/keys',
      '/console/settings',
    ]) {
      const res = await req(path, { cookie });
      expect(res.status, path).toBe(403);
      expect(await res.text()).toContain('needs an admin API key');
    }
    expect((await req('/console/', { cookie })).headers.get('location')).toBe('/console/generations');
    // One generation each; the client sees only its own, also by id.
    const create = (key: string, prompt: string) =>
      h.app.request(`${BASE}/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt }),
      });
    const mine = (await (await create(h.clientKey, 'a client lighthouse')).json()) as { id: string };
    const theirs = (await (await create(h.adminKey, 'an admin lighthouse')).json()) as { id: string };
    const list = await (await req('/console/generations?q=lighthouse', { cookie })).text();
    expect(list).toContain('a client lighthouse');
    expect(list).not.toContain('an admin lighthouse');
    const nav = /<nav aria-label="Sections">(.*?)<\/nav>/s.exec(list)?.[1] ?? '';
    expect(nav).not.toContain('/console/keys');
    expect((await req(`/console/generations/${mine.id}`, { cookie })).status).toBe(200);
    expect((await req(`/console/generations/${theirs.id}`, { cookie })).status).toBe(404);
  });

  it('keeps filters, sort and page in the URL and pages with signed cursors', async () => {
    const { cookie } = await signIn(h.adminKey);
    for (let i = 0; i < 30; i++) {
      await h.app.request(`${BASE}/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${h.adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: `paging harbour ${i}`, name: `p${String(i).padStart(2, '0')}` }),
      });
    }
    const first = await (await req('/console/generations?q=harbour&sort=name', { cookie })).text();
    expect(first).toContain('<option value="name" selected="">');
    const names = (html: string) => [...html.matchAll(/<strong>(p\d\d) <\/strong>/g)].map((m) => m[1]);
    expect(names(first)).toEqual(Array.from({ length: 25 }, (_, i) => `p${String(i).padStart(2, '0')}`));
    const next = /href="([^"]+)" rel="next"/.exec(first)?.[1]?.replaceAll('&amp;', '&');
    expect(next).toContain('cursor=');
    const second = await (await req(next!, { cookie })).text();
    expect(names(second)).toEqual(['p25', 'p26', 'p27', 'p28', 'p29']);
    expect(second).not.toContain('rel="next"');
    // A cursor from another query is refused, not misapplied.
    const cursor = new URL(next!, BASE).searchParams.get('cursor')!;
    const moved = await (
      await req(`/console/generations?sort=-name&cursor=${encodeURIComponent(cursor)}`, { cookie })
    ).text();
    expect(moved).toContain('belongs to another search');
    const bad = await req('/console/generations?status=exploded', { cookie });
    expect(bad.status).toBe(400);
  });

  it('compares an attempt with the previous one, and resolves a selection or refuses an ineligible one', async () => {
    const store = new FailedMessageStore(h.database, new EventStore(h.database));
    const record = (messageId: string, reason: string, receiveCount: number, failedAt: string) => ({
      messageId,
      body: '{"not":"a generation message"}',
      attributes: { source: 'test' },
      receiveCount,
      queue: 'genledger-main',
      failedAt: new Date(failedAt),
      generationId: null,
      messageType: 'generation.requested',
      model: null,
      invalidReason: reason,
    });
    const { id } = await store.ingest(record('m-1', 'body is not JSON', 3, '2026-01-01T00:00:00Z'));
    await store.ingest(record('m-2', 'body has no generationId', 3, '2026-01-02T00:00:00Z'));
    const { cookie } = await signIn(h.adminKey);
    const detail = await (await req(`/console/failed/messages/${id}`, { cookie })).text();
    expect(detail).toContain('Attempts (2)');
    expect(detail).toContain(`/console/failed/messages/${id}/compare?attempt=2`);
    // A message that never parsed cannot be retried: no retry button.
    expect(detail).not.toContain('value="retry"');
    const compare = await (await req(`/console/failed/messages/${id}/compare?attempt=2`, { cookie })).text();
    const changed = [...compare.matchAll(/data-changed="true"><th scope="row">([^<]+)/g)].map((m) => m[1]);
    expect(changed).toEqual(['failed at (changed)', 'error message (changed)']);
    expect(compare).toContain('body is not JSON');
    expect(compare).toContain('body has no generationId');

    const token = await csrfOf(cookie);
    const back = `/console/failed/messages/${id}`;
    const resolved = await post('/console/failed/action', cookie, { op: 'resolve', id, back, _csrf: token });
    const after = await follow(resolved, cookie);
    expect(after.location).toBe(back);
    expect(after.flash).toBe('1 resolved');
    expect((await store.get(id))!.status).toBe('resolved');
    // The resolve can be taken back from its notice: the undo form reopens the same message.
    expect(after.html).toContain('<input type="hidden" name="op" value="reopen"/>');
    expect(after.html).toContain(`<input type="hidden" name="id" value="${id}"/>`);
    expect(after.html).toContain('data-testid="undo"');
    // All or nothing by id: archiving a resolved message is refused with the reason, nothing
    // changes, the selection is kept, and the message is named, not given as its hash.
    const refused = await post('/console/failed/action', cookie, { op: 'archive', id, back, _csrf: token });
    const told = await follow(refused, cookie);
    expect(told.location).toBe(`${back}?sel=${id}`);
    expect(told.flash).toMatch(
      /^Nothing was changed: 1 of 1 selected cannot be archived\. .* is resolved\.$/,
    );
    expect(told.flash).not.toContain(id);
    expect((await store.get(id))!.status).toBe('resolved');
    // Resolved by mistake: it reopens (resolved → unresolved), recorded with the key that did it;
    // only a resolved message can be reopened.
    expect(await (await req(back, { cookie })).text()).toContain('value="reopen"');
    const reopened = await follow(
      await post('/console/failed/action', cookie, { op: 'reopen', id, back, _csrf: token }),
      cookie,
    );
    expect(reopened.flash).toBe('1 reopened');
    expect((await store.get(id))!.status).toBe('unresolved');
    const [change] = (await new EventStore(h.database).readStream(`failed-message-${id}`)).slice(-1);
    expect(change!.event).toMatchObject({
      type: 'FailedMessageStatusChanged',
      from: 'resolved',
      to: 'unresolved',
    });
    expect(change!.metadata).toMatchObject({ source: 'console' });
    expect(await (await req(back, { cookie })).text()).not.toContain('value="reopen"');
    const again = await follow(
      await post('/console/failed/action', cookie, { op: 'reopen', id, back, _csrf: token }),
      cookie,
    );
    expect(again.flash).toMatch(/^Nothing was changed: 1 of 1 selected cannot be reopened\./);
    expect((await store.get(id))!.status).toBe('unresolved');
  });

  it('offers the next run of a group operation that left messages, and goes on from its cursor', async () => {
    const store = new FailedMessageStore(h.database, new EventStore(h.database));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await deadLetter(store, { model: 'cursor-model' })).id);
    const group = (await store.groups()).find((g) => g.title === 'cursor-model')!;
    const last = [...ids].sort().at(-1)!;
    const { cookie } = await signIn(h.adminKey);
    const page = async (query: string) => (await req(`/console/failed?done=x&${query}`, { cookie })).text();
    const offered = await page(`go=archive&group=${group.id}&after=${last}`);
    expect(offered).toContain(`name="after" value="${last}"`);
    expect(offered).toContain('Archive the next 10,000');
    // Only what the action would take: no retry (it is previewed first), no made-up ids.
    for (const query of [
      `go=retry&group=${group.id}`,
      `go=archive&group=${group.id.slice(1)}`,
      `go=archive&group=${group.id}&after=%3Cscript%3E`,
    ])
      expect(await page(query)).not.toContain('More of the group is left');
    // The run goes on past the cursor, finds nothing there, and starts again from the first member.
    const token = await csrfOf(cookie);
    const res = await post('/console/failed/action', cookie, {
      scope: 'group',
      groupId: group.id,
      after: last,
      op: 'archive',
      back: '/console/failed',
      _csrf: token,
    });
    const done = await follow(res, cookie);
    expect([done.location, done.flash]).toEqual(['/console/failed', '3 archived']);
    for (const id of ids) expect((await store.get(id))!.status).toBe('archived');
    // A group retry carries its cursor from the receipt's link through the preview to the send.
    const preview = async (after: string) =>
      (await req(`/console/retry/preview?groupId=${group.id}&after=${after}`, { cookie })).text();
    expect(await preview(last)).toContain(`name="after" value="${last}"`);
    expect(await preview('%22%3E%3Cscript%3E')).not.toContain('name="after"');
    const sent = await post('/console/retry', cookie, {
      scope: 'group',
      groupId: group.id,
      after: last,
      _csrf: token,
    });
    expect(sent.headers.get('location')).toMatch(/^\/console\/retries\/[0-9a-f-]{36}$/);
    for (const id of ids) expect((await store.get(id))!.status).toBe('retry_issued');
  });

  it('filters failed messages by day and archives every match of the filter, not only the page', async () => {
    const store = new FailedMessageStore(h.database, new EventStore(h.database));
    const ingest = (body: string, failedAt: string) =>
      store.ingest({
        messageId: `m-${body}`,
        body,
        attributes: {},
        receiveCount: 1,
        queue: 'genledger-main',
        failedAt: new Date(failedAt),
        generationId: null,
        messageType: 'generation.requested',
        model: null,
        invalidReason: 'not JSON',
      });
    const early = await ingest('early body', '2025-03-01T12:00:00Z');
    const late = await ingest('late body', '2025-03-05T23:59:00Z');
    const { cookie } = await signIn(h.adminKey);
    const html = await (
      await req('/console/failed/messages?from=2025-03-04&to=2025-03-05', { cookie })
    ).text();
    expect(html).toContain(`value="${late.id}"`);
    expect(html).not.toContain(`value="${early.id}"`);
    expect(html).toContain('data-total="1"');
    const token = await csrfOf(cookie);
    const res = await post('/console/failed/action', cookie, {
      op: 'archive',
      scope: 'matching',
      status: 'unresolved',
      from: '2025-03-04',
      to: '2025-03-05',
      back: '/console/failed/messages',
      _csrf: token,
    });
    const done = await follow(res, cookie);
    expect([done.location, done.flash]).toEqual(['/console/failed/messages', '1 archived']);
    // The archive can be undone from its notice.
    expect(done.html).toContain(`<input type="hidden" name="id" value="${late.id}"/>`);
    expect(done.html).toContain('data-testid="undo"');
    expect((await store.get(late.id))!.status).toBe('archived');
    expect((await store.get(early.id))!.status).toBe('unresolved');
  });
});
