import { createApp } from '@genledger/api/app';
import { noQueue } from '@genledger/api/no-queue';
import type { Logger } from '@genledger/core/ports/logger';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { consoleSessionSecret, httpDeps } from '@genledger/wiring/http-deps';
import { beforeAll, describe, expect, it } from 'vitest';
import { scriptSizes } from '../../packages/console/src/assets/assets.ts';
import { newSession, signSession } from '../../packages/console/src/session/session-cookie.ts';
import { useDatabases } from '../support/databases.ts';
import { deadLetter } from '../support/dead-letters.ts';

const dbs = useDatabases();

/**
 * The console at the HTML level (no browser): sessions, cookie flags, CSRF, access rules, forms.
 * The browser flows are in console-browser.test.ts.
 */
const CURSOR_SECRET = 'k'.repeat(40);
const BASE = 'http://localhost';
let database: Database;
let app: ReturnType<typeof createApp>;
let adminKey: string;
let clientKey: string;
let clientKeyId: string;
const logLines: string[] = [];
const logger: Logger = {
  debug: (m, f) => logLines.push(JSON.stringify([m, f])),
  info: (m, f) => logLines.push(JSON.stringify([m, f])),
  warn: (m, f) => logLines.push(JSON.stringify([m, f])),
  error: (m, f) => {
    logLines.push(JSON.stringify([m, f]));
    if (process.env.DEBUG_CONSOLE) console.error(m, f);
  },
};

beforeAll(async () => {
  database = await dbs.open('pglite', { schema: 'console_html' });
  const keys = new ApiKeyStore(database, new EventStore(database));
  adminKey = (await keys.create({ name: 'ops admin', isAdmin: true })).key;
  const client = await keys.create({ name: 'frontend', isAdmin: false });
  clientKey = client.key;
  clientKeyId = client.summary!.id;
  app = createApp(httpDeps(database, { queue: noQueue, logger, cursorSecret: CURSOR_SECRET }));
});

const req = (path: string, init: RequestInit & { cookie?: string } = {}) => {
  const headers = new Headers(init.headers);
  if (init.cookie) headers.set('cookie', init.cookie);
  return app.request(path.startsWith('http') ? path : `${BASE}${path}`, {
    ...init,
    headers,
    redirect: 'manual',
  });
};

async function signIn(key: string, base = BASE) {
  const res = await req(`${base}/console/signin`, {
    method: 'POST',
    body: new URLSearchParams({ key }),
    headers: { origin: base },
  });
  expect(res.status).toBe(303);
  const setCookie = res.headers.get('set-cookie')!;
  return { res, setCookie, cookie: setCookie.split(';')[0]! };
}

async function csrfOf(cookie: string) {
  const html = await (await req('/console/generations', { cookie })).text();
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  expect(token).toBeDefined();
  return token!;
}

const post = (
  path: string,
  cookie: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) =>
  req(path, {
    method: 'POST',
    cookie,
    body: new URLSearchParams(fields),
    headers: { origin: BASE, ...headers },
  });

/**
 * Follows a post/redirect/get as a browser would: the redirect's one-time flash cookie goes with
 * the GET of its location. Returns the page and the flash's text.
 */
async function follow(res: Response, cookie: string) {
  expect(res.status).toBe(303);
  const flash = /gl_flash=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
  const page = await req(res.headers.get('location')!, {
    cookie: flash ? `${cookie}; gl_flash=${flash}` : cookie,
  });
  const html = await page.text();
  const text = /data-testid="flash-text">([^<]*)</.exec(html)?.[1];
  return {
    page,
    html,
    flash: text?.replaceAll('&quot;', '"').replaceAll('&#39;', "'"),
    location: res.headers.get('location')!,
  };
}

describe('console (HTML level)', () => {
  it('/ redirects to the console, which asks for sign-in', async () => {
    const root = await req('/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/console/');
    const page = await req('/console/');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/console/signin');
    const signin = await req('/console/signin');
    expect(signin.status).toBe(200);
    const html = await signin.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<label>API key<input type="password" name="key"');
    expect(signin.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('exchanges a key for an HttpOnly, SameSite=Strict, expiring cookie holding the key id only', async () => {
    logLines.length = 0;
    const { res, setCookie, cookie } = await signIn(adminKey);
    expect(res.headers.get('location')).toBe('/console/');
    expect(setCookie).toMatch(/^gl_console=[^;]+; Path=\/console; Max-Age=28800; HttpOnly; SameSite=Strict$/);
    // Plain HTTP on localhost: not Secure (a browser would drop it); anywhere else: Secure.
    expect(setCookie).not.toContain('Secure');
    const remote = await signIn(adminKey, 'https://ops.example.com');
    expect(remote.setCookie).toMatch(/; Secure$/);
    const plainRemote = await signIn(adminKey, 'http://ops.example.com');
    expect(plainRemote.setCookie).toMatch(/; Secure$/);

    const value = cookie.slice('gl_console='.length);
    const payload = JSON.parse(Buffer.from(value.split('.')[0]!, 'base64url').toString());
    expect(Object.keys(payload).sort()).toEqual(['exp', 'iat', 'k', 'n']);
    expect(payload.exp - payload.iat).toBe(8 * 3600);
    expect(value).not.toContain(adminKey);

    const overview = await req('/console/', { cookie });
    expect(overview.status).toBe(200);
    const html = await overview.text();
    expect(html).toContain('<h1>Overview</h1>');
    expect(html).toContain('ops admin');
    expect(html).not.toContain(adminKey);
    expect(logLines.join('\n')).not.toContain(adminKey);
  });

  it('refuses a wrong key with the reason and sets no cookie', async () => {
    const res = await req('/console/signin', {
      method: 'POST',
      body: new URLSearchParams({ key: 'gl_nope_nope' }),
      headers: { origin: BASE },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
    expect(await res.text()).toContain('the API key is not valid');
  });

  it('rejects a tampered, expired or foreign-signed cookie, and a revoked key', async () => {
    const { cookie } = await signIn(adminKey);
    const [body, mac] = cookie.slice('gl_console='.length).split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...payload, k: clientKeyId })).toString('base64url');
    for (const bad of [
      `gl_console=${forged}.${mac}`,
      `gl_console=${body}.${mac.slice(0, -2)}AA`,
      'gl_console=garbage',
    ]) {
      const res = await req('/console/', { cookie: bad });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/console/signin');
    }
    const secret = consoleSessionSecret(CURSOR_SECRET);
    const expired = signSession(secret, newSession(payload.k, Date.now() - 9 * 3600 * 1000));
    const res = await req('/console/', { cookie: `gl_console=${expired}` });
    expect(res.status).toBe(303);
    const fresh = signSession(secret, newSession(payload.k, Date.now() - 60_000));
    expect((await req('/console/', { cookie: `gl_console=${fresh}` })).status).toBe(200);
    const otherSecret = signSession(consoleSessionSecret('x'.repeat(40)), newSession(payload.k));
    expect((await req('/console/', { cookie: `gl_console=${otherSecret}` })).status).toBe(303);

    // A revoked key ends its sessions at once.
    const keys = new ApiKeyStore(database, new EventStore(database));
    const temp = await keys.create({ name: 'temp admin', isAdmin: true });
    const session = await signIn(temp.key);
    expect((await req('/console/keys', { cookie: session.cookie })).status).toBe(200);
    await keys.revoke(temp.summary!.id);
    const after = await req('/console/keys', { cookie: session.cookie });
    expect(after.status).toBe(303);
    expect(after.headers.get('set-cookie')).toContain('Max-Age=0');
  });

  it('rejects every state change without the session CSRF token or from another origin', async () => {
    const { cookie } = await signIn(adminKey);
    const token = await csrfOf(cookie);
    const count = async () => (await new ApiKeyStore(database, new EventStore(database)).list()).length;
    const before = await count();
    const attempts: [Record<string, string>, Record<string, string>][] = [
      [{ name: 'evil' }, {}],
      [{ name: 'evil', _csrf: 'forged' }, {}],
      [{ name: 'evil', _csrf: token }, { origin: 'https://evil.example' }],
      [{ name: 'evil', _csrf: token }, { 'sec-fetch-site': 'cross-site' }],
    ];
    for (const [fields, headers] of attempts) {
      const res = await post('/console/keys', cookie, { rateLimit: '100', ...fields }, headers);
      expect(res.status).toBe(403);
      expect(await res.text()).toContain('CSRF check failed');
    }
    // Another session's token does not fit this one.
    const other = await signIn(adminKey);
    const otherToken = await csrfOf(other.cookie);
    expect(otherToken).not.toBe(token);
    expect(
      (await post('/console/keys', cookie, { name: 'evil', rateLimit: '100', _csrf: otherToken })).status,
    ).toBe(403);
    expect(await count()).toBe(before);
    // Sign-in from another origin is refused too (login CSRF).
    const cross = await req('/console/signin', {
      method: 'POST',
      body: new URLSearchParams({ key: adminKey }),
      headers: { origin: 'https://evil.example' },
    });
    expect(cross.status).toBe(403);
    expect(cross.headers.get('set-cookie')).toBeNull();
    // The header form (what htmx sends) works like the field.
    const ok = await req('/console/keys', {
      method: 'POST',
      cookie,
      body: new URLSearchParams({ name: 'via header', rateLimit: '100' }),
      headers: { origin: BASE, 'x-csrf-token': token },
    });
    expect(ok.status).toBe(303);
    expect(await count()).toBe(before + 1);
  });

  it('refuses a form body over its limit before reading it, signed in or not, and writes nothing', async () => {
    const { cookie } = await signIn(adminKey);
    const token = await csrfOf(cookie);
    const count = async () => (await new ApiKeyStore(database, new EventStore(database)).list()).length;
    const before = await count();
    const big = 'x'.repeat(64 * 1024);
    const created = await post('/console/keys', cookie, {
      name: 'huge',
      rateLimit: '100',
      _csrf: token,
      big,
    });
    expect(created.status).toBe(413);
    expect(await created.text()).toBe('request body too large');
    expect(created.headers.get('content-security-policy')).toContain("default-src 'self'");
    const signin = await req('/console/signin', {
      method: 'POST',
      body: new URLSearchParams({ key: adminKey, big }),
      headers: { origin: BASE },
    });
    expect(signin.status).toBe(413);
    expect(signin.headers.get('set-cookie')).toBeNull();
    expect(await count()).toBe(before);
    // Just under the limit is an ordinary form.
    const fits = await post('/console/keys', cookie, {
      name: 'fits',
      rateLimit: '100',
      _csrf: token,
      pad: 'x'.repeat(60 * 1024),
    });
    expect(fits.status).toBe(303);
  });

  it('shows a created key once, never in a URL, and revokes keys', async () => {
    const { cookie } = await signIn(adminKey);
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
    const other = await signIn(adminKey);
    const stolen = await (
      await req('/console/keys', { cookie: `${other.cookie}; gl_flash=${sealed}` })
    ).text();
    expect(stolen).not.toContain(key!);
    const list = await (await req('/console/keys', { cookie })).text();
    expect(list).toContain('batch job');
    expect(list).not.toContain(key!);
    const id = [...list.matchAll(/action="\/console\/keys\/([0-9a-f-]{36})\/revoke"/g)].map((m) => m[1]);
    const store = new ApiKeyStore(database, new EventStore(database));
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
    const { cookie } = await signIn(adminKey);
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
    const { cookie } = await signIn(clientKey);
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
      app.request(`${BASE}/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt }),
      });
    const mine = (await (await create(clientKey, 'a client lighthouse')).json()) as { id: string };
    const theirs = (await (await create(adminKey, 'an admin lighthouse')).json()) as { id: string };
    const list = await (await req('/console/generations?q=lighthouse', { cookie })).text();
    expect(list).toContain('a client lighthouse');
    expect(list).not.toContain('an admin lighthouse');
    const nav = /<nav aria-label="Sections">(.*?)<\/nav>/s.exec(list)?.[1] ?? '';
    expect(nav).not.toContain('/console/keys');
    expect((await req(`/console/generations/${mine.id}`, { cookie })).status).toBe(200);
    expect((await req(`/console/generations/${theirs.id}`, { cookie })).status).toBe(404);
  });

  it('keeps filters, sort and page in the URL and pages with signed cursors', async () => {
    const { cookie } = await signIn(adminKey);
    for (let i = 0; i < 30; i++) {
      await app.request(`${BASE}/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
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

  it('serves htmx from its package with long-lived cache headers; all console JS is under 50 KB gzip', async () => {
    const { cookie } = await signIn(adminKey);
    const html = await (await req('/console/', { cookie })).text();
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.map((s) => s.split('?')[0])).toEqual([
      '/console/assets/htmx.min.js',
      '/console/assets/console.js',
    ]);
    for (const src of scripts) {
      const res = await req(src);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-type')).toContain('javascript');
    }
    const htmx = await (await req(scripts[0]!)).text();
    expect(htmx).toContain('htmx');
    const sizes = await scriptSizes();
    expect(sizes.gzip).toBeLessThan(50 * 1024);
    // What a browser receives: the scripts compressed on the wire.
    let wire = 0;
    for (const src of scripts) {
      const res = await req(src, { headers: { 'accept-encoding': 'gzip, deflate, br, zstd' } });
      expect(res.headers.get('content-encoding')).toBe('gzip');
      wire += (await res.arrayBuffer()).byteLength;
    }
    expect(wire).toBeLessThan(20 * 1024);
    console.log(`console JavaScript on the wire: ${wire} bytes`);
    console.log(`console JavaScript: ${sizes.raw} bytes, ${sizes.gzip} bytes gzip`);
  });

  it('signs out by clearing the cookie', async () => {
    const { cookie } = await signIn(adminKey);
    const token = await csrfOf(cookie);
    const res = await post('/console/signout', cookie, { _csrf: token });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/signin');
    expect(res.headers.get('set-cookie')).toMatch(/^gl_console=; Path=\/console; Max-Age=0/);
    expect((await post('/console/signout', cookie, {})).status).toBe(403);
  });

  it('compares an attempt with the previous one, and resolves a selection or refuses an ineligible one', async () => {
    const store = new FailedMessageStore(database, new EventStore(database));
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
    const { cookie } = await signIn(adminKey);
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
    const [change] = (await new EventStore(database).readStream(`failed-message-${id}`)).slice(-1);
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
    const store = new FailedMessageStore(database, new EventStore(database));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await deadLetter(store, { model: 'cursor-model' })).id);
    const group = (await store.groups()).find((g) => g.title === 'cursor-model')!;
    const last = [...ids].sort().at(-1)!;
    const { cookie } = await signIn(adminKey);
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
    const store = new FailedMessageStore(database, new EventStore(database));
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
    const { cookie } = await signIn(adminKey);
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
