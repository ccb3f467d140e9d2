import type { Hono } from 'hono';
import type { ConsoleEnv } from '../env.ts';
import { ASSET_CACHE_CONTROL, asset } from './assets.ts';

/** The console's script, styles and htmx, before sign-in (the sign-in page needs its styles). */
export function registerAssets(app: Hono<ConsoleEnv>) {
  app.get('/assets/:name', async (c) => {
    const a = await asset(c.req.param('name'));
    if (!a) return c.text('not found', 404);
    return c.body(a.body, 200, { 'Content-Type': a.type, 'Cache-Control': ASSET_CACHE_CONTROL });
  });
}
