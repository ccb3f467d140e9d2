import { Hono } from 'hono';
import { compress } from 'hono/compress';
import { describe, expect, it } from 'vitest';
import { compression } from '../../packages/api/src/middleware/compression.ts';
import type { ApiEnv } from '../../packages/api/src/middleware/env.ts';

/** Replies of every kind compress tells apart: type, size, encoding, Vary, no-transform, status. */
function routes(app: Hono<ApiEnv>) {
  const big = 'x'.repeat(2000);
  app.get('/json', (c) => c.json({ ok: true }));
  app.get('/problem', (c) => c.json({ title: 'no' }, 404, { 'Content-Type': 'application/problem+json' }));
  app.get('/sized-small', (c) => c.text('small', 200, { 'Content-Length': '5' }));
  app.get('/sized-big', (c) => c.text(big, 200, { 'Content-Length': String(big.length) }));
  app.get('/png', (c) => c.body(new Uint8Array(2000), 200, { 'Content-Type': 'image/png' }));
  app.get('/no-transform', (c) => c.json({ ok: true }, 200, { 'Cache-Control': 'no-transform' }));
  app.get('/vary-origin', (c) => c.json({ ok: true }, 200, { Vary: 'Origin' }));
  app.get('/vary-star', (c) => c.json({ ok: true }, 200, { Vary: '*' }));
  app.get('/vary-encoding', (c) => c.json({ ok: true }, 200, { Vary: 'accept-encoding' }));
  app.get('/encoded', (c) => c.json({ ok: true }, 200, { 'Content-Encoding': 'br' }));
  app.get('/partial', (c) => c.text(big, 206));
  app.get('/empty', (c) => c.body(null, 204));
  app.get('/redirect', (c) => c.redirect('/json', 302));
  app.get('/fetched', () => Response.redirect('http://localhost/json', 301)); // headers immutable
  return app;
}

const ours = routes(new Hono<ApiEnv>().use('*', compression()));
const hono = routes(new Hono<ApiEnv>().use('*', compress()));
const PATHS = [
  '/json',
  '/problem',
  '/sized-small',
  '/sized-big',
  '/png',
  '/no-transform',
  '/vary-origin',
  '/vary-star',
  '/vary-encoding',
  '/encoded',
  '/partial',
  '/empty',
  '/redirect',
  '/fetched',
];

const answer = async (app: Hono<ApiEnv>, path: string, init?: RequestInit) => {
  const res = await app.request(path, init);
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
};

describe('compression: hono/compress, without its rebuild of the response for a request with no Accept-Encoding', () => {
  it.each(PATHS)('answers %s as hono/compress does, without Accept-Encoding', async (path) => {
    expect(await answer(ours, path)).toEqual(await answer(hono, path));
  });

  it.each(PATHS)('answers %s as hono/compress does, to HEAD', async (path) => {
    expect(await answer(ours, path, { method: 'HEAD' })).toEqual(
      await answer(hono, path, { method: 'HEAD' }),
    );
  });

  it('adds Vary to a JSON reply and leaves a small sized one alone', async () => {
    expect((await answer(ours, '/json')).headers.vary).toBe('Accept-Encoding');
    expect((await answer(ours, '/vary-origin')).headers.vary).toBe('Origin, Accept-Encoding');
    expect((await answer(ours, '/sized-small')).headers.vary).toBeUndefined();
  });

  it('leaves a request with Accept-Encoding to hono/compress: gzip when asked', async () => {
    const init = { headers: { 'accept-encoding': 'gzip' } };
    const res = await ours.request('/sized-big', init);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
    expect((await answer(ours, '/json', { headers: { 'accept-encoding': 'identity' } })).headers).toEqual(
      (await answer(hono, '/json', { headers: { 'accept-encoding': 'identity' } })).headers,
    );
  });
});
