import { ApiKeyStore } from '@genledger/db/api-key-store';
import { EventStore } from '@genledger/db/event-store';
import { consoleSessionSecret } from '@genledger/wiring/http-deps';
import { describe, expect, it } from 'vitest';
import { scriptSizes } from '../../packages/console/src/assets/assets.ts';
import { newSession, signSession } from '../../packages/console/src/session/session-cookie.ts';
import { BASE, CURSOR_SECRET, useConsoleHtml } from '../support/console-html-app.ts';

/**
 * The console's sessions at the HTML level (no browser): sign-in, cookie flags, CSRF, body limits,
 * its scripts, sign-out. Its pages and forms are in console-html-pages.test.ts, the browser flows
 * in console-browser.test.ts.
 */
const { h, req, signIn, csrfOf, post } = useConsoleHtml('console_html_sessions');

describe('console sessions (HTML level)', () => {
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
    h.logLines.length = 0;
    const { res, setCookie, cookie } = await signIn(h.adminKey);
    expect(res.headers.get('location')).toBe('/console/');
    expect(setCookie).toMatch(/^gl_console=[^;]+; Path=\/console; Max-Age=28800; HttpOnly; SameSite=Strict$/);
    // Plain HTTP on localhost: not Secure (a browser would drop it); anywhere else: Secure.
    expect(setCookie).not.toContain('Secure');
    const remote = await signIn(h.adminKey, 'https://ops.example.com');
    expect(remote.setCookie).toMatch(/; Secure$/);
    const plainRemote = await signIn(h.adminKey, 'http://ops.example.com');
    expect(plainRemote.setCookie).toMatch(/; Secure$/);

    const value = cookie.slice('gl_console='.length);
    const payload = JSON.parse(Buffer.from(value.split('.')[0]!, 'base64url').toString());
    expect(Object.keys(payload).sort()).toEqual(['exp', 'iat', 'k', 'n']);
    expect(payload.exp - payload.iat).toBe(8 * 3600);
    expect(value).not.toContain(h.adminKey);

    const overview = await req('/console/', { cookie });
    expect(overview.status).toBe(200);
    const html = await overview.text();
    expect(html).toContain('<h1>Overview</h1>');
    expect(html).toContain('ops admin');
    expect(html).not.toContain(h.adminKey);
    expect(h.logLines.join('\n')).not.toContain(h.adminKey);
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
    const { cookie } = await signIn(h.adminKey);
    const [body, mac] = cookie.slice('gl_console='.length).split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...payload, k: h.clientKeyId })).toString('base64url');
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
    const keys = new ApiKeyStore(h.database, new EventStore(h.database));
    const temp = await keys.create({ name: 'temp admin', isAdmin: true });
    const session = await signIn(temp.key);
    expect((await req('/console/keys', { cookie: session.cookie })).status).toBe(200);
    await keys.revoke(temp.summary!.id);
    const after = await req('/console/keys', { cookie: session.cookie });
    expect(after.status).toBe(303);
    expect(after.headers.get('set-cookie')).toContain('Max-Age=0');
  });

  it('rejects every state change without the session CSRF token or from another origin', async () => {
    const { cookie } = await signIn(h.adminKey);
    const token = await csrfOf(cookie);
    const count = async () => (await new ApiKeyStore(h.database, new EventStore(h.database)).list()).length;
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
    const other = await signIn(h.adminKey);
    const otherToken = await csrfOf(other.cookie);
    expect(otherToken).not.toBe(token);
    expect(
      (await post('/console/keys', cookie, { name: 'evil', rateLimit: '100', _csrf: otherToken })).status,
    ).toBe(403);
    expect(await count()).toBe(before);
    // Sign-in from another origin is refused too (login CSRF).
    const cross = await req('/console/signin', {
      method: 'POST',
      body: new URLSearchParams({ key: h.adminKey }),
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
    const { cookie } = await signIn(h.adminKey);
    const token = await csrfOf(cookie);
    const count = async () => (await new ApiKeyStore(h.database, new EventStore(h.database)).list()).length;
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
      body: new URLSearchParams({ key: h.adminKey, big }),
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

  it('serves htmx from its package with long-lived cache headers; all console JS is under 50 KB gzip', async () => {
    const { cookie } = await signIn(h.adminKey);
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
    const { cookie } = await signIn(h.adminKey);
    const token = await csrfOf(cookie);
    const res = await post('/console/signout', cookie, { _csrf: token });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/signin');
    expect(res.headers.get('set-cookie')).toMatch(/^gl_console=; Path=\/console; Max-Age=0/);
    expect((await post('/console/signout', cookie, {})).status).toBe(403);
  });
});
