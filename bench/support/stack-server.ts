// The stack's own floor for request CPU: the libraries the API is built on (Hono served by
// @hono/node-server, zod, drizzle-orm over pg), doing the least any app on them does, and nothing of
// genledger but the table's definition. `POST /generations` checks the body with one zod schema and
// inserts the row with drizzle (returning it whole, as the bare INSERT does); `GET /generations/:id`
// checks the id with zod and selects the row, both statements prepared once. No authentication, rate limit, events, idempotency
// or log line. It runs in the request-cpu server's process beside the app and the bare handler, on
// the same pool size (bench: request-cpu).
import { tablesFor } from '@genledger/db/schema/tables';
import { serve } from '@hono/node-server';
import { eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { Hono } from 'hono';
import type pg from 'pg';
import * as z from 'zod';

const Body = z.object({
  prompt: z.string().min(1).max(4000),
  model: z.string().min(1).max(100),
  steps: z.number().int().min(1).max(150),
});
const Id = z.uuid();

/** Serves the stack's floor on a free port of 127.0.0.1; resolves with its URL. */
export async function startStackServer(pool: pg.Pool, schema: string): Promise<string> {
  const db = drizzle(pool);
  const { generations } = tablesFor(schema);
  // Prepared once, as the least drizzle can do per request: no query built or compiled per call.
  const insert = db
    .insert(generations)
    .values({
      id: sql.placeholder('id'),
      prompt: sql.placeholder('prompt'),
      model: sql.placeholder('model'),
      steps: sql.placeholder('steps'),
    })
    .returning()
    .prepare('stack_insert');
  const byId = db
    .select()
    .from(generations)
    .where(eq(generations.id, sql.placeholder('id')))
    .prepare('stack_by_id');
  const app = new Hono();
  app.post('/generations', async (c) => {
    const body = Body.safeParse(await c.req.json());
    if (!body.success) return c.json({ title: 'invalid body' }, 400);
    const [row] = await insert.execute({ id: crypto.randomUUID(), ...body.data });
    return c.json(row, 202);
  });
  app.get('/generations/:id', async (c) => {
    const id = Id.safeParse(c.req.param('id'));
    if (!id.success) return c.json({ title: 'invalid id' }, 400);
    const [row] = await byId.execute({ id: id.data });
    return row ? c.json(row) : c.json({ title: 'not found' }, 404);
  });
  return new Promise((resolve) => {
    serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve(`http://127.0.0.1:${info.port}`),
    );
  });
}
