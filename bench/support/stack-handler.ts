// The stack's own floor for a cold start: the libraries ARCHITECTURE.md builds the API on, doing the
// least any app on them does for one request, and nothing of genledger. A Hono app with the one
// route, the API Gateway v2 event turned into a web Request and the Response read back (what any
// adapter does), the body checked by one zod schema, the row written by drizzle-orm (one table of
// the columns written, one INSERT … RETURNING) over pg, or over Neon's driver when DB_DRIVER=neon,
// each loaded by dynamic import as the functions load theirs. No authentication, events,
// idempotency or logging. Beside the bare handlers (bare-handler.ts, bare-neon-handler.ts) it shows
// how much of the app's cold start the stack itself takes before any of the app's code runs
// (bench: cold-start).
import { pgSchema, text, uuid } from 'drizzle-orm/pg-core';
import { Hono } from 'hono';
import * as z from 'zod';

const Body = z.object({ prompt: z.string().min(1).max(4000) });

interface HttpEvent {
  rawPath: string;
  requestContext: { http: { method: string } };
  headers: Record<string, string>;
  body?: string;
}

let app: Hono | undefined;

/** drizzle over the configured driver, one connection. */
async function database() {
  if (process.env.DB_DRIVER === 'neon') {
    const [{ drizzle }, { neonClient }] = await Promise.all([
      import('drizzle-orm/neon-serverless'),
      import('./neon-client.ts'),
    ]);
    return drizzle(await neonClient());
  }
  const [{ drizzle }, { default: pg }] = await Promise.all([
    import('drizzle-orm/node-postgres'),
    import('pg'),
  ]);
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  return drizzle(client);
}

async function build(): Promise<Hono> {
  const db = await database();
  const generations = pgSchema(process.env.DB_SCHEMA!).table('generations', {
    id: uuid('id').primaryKey(),
    prompt: text('prompt').notNull(),
  });
  const hono = new Hono();
  hono.post('/generations', async (c) => {
    const parsed = Body.safeParse(await c.req.json());
    if (!parsed.success) return c.json({ title: 'invalid body' }, 400);
    const [row] = await db
      .insert(generations)
      .values({ id: crypto.randomUUID(), prompt: parsed.data.prompt })
      .returning();
    return c.json(row, 202);
  });
  return hono;
}

export async function handler(event: HttpEvent) {
  app ??= await build();
  const request = new Request(`https://lambda${event.rawPath}`, {
    method: event.requestContext.http.method,
    headers: event.headers,
    ...(event.body === undefined ? {} : { body: event.body }),
  });
  const response = await app.fetch(request);
  return { statusCode: response.status, body: await response.text() };
}
