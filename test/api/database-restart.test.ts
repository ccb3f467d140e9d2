import { jsonLogger } from '@genledger/adapters/json-logger';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import type { DbOptions } from '@genledger/db/config';
import { type Database, openDatabase } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { migrate } from '@genledger/db/migrator';
import { type LocalServer, startLocalServer } from '@genledger/local/server';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueSchema } from '../support/databases.ts';
import { flakyGenerator } from '../support/generators.ts';
import { startPostgres, type TestServer } from '../support/postgres-server.ts';

/**
 * A database server stopped and started under load, behind a running API and worker: one
 * embedded PostgreSQL of this file's own (it is stopped and started, so never a shared
 * TEST_DATABASE_URL). The other faults of the database are in database-faults.test.ts.
 */
let server: TestServer;
const opened: Database[] = [];
beforeAll(async () => {
  server = await startPostgres({ embedded: true });
});
afterAll(async () => {
  for (const d of opened.splice(0)) await d.close().catch(() => {});
  await server?.stop();
});

async function open(pool: DbOptions['pool'] = {}): Promise<Database> {
  const database = await openDatabase(
    { driver: 'pg', url: server.url, schema: uniqueSchema('restart'), pool: { max: 4, ...pool } },
    {},
  );
  opened.push(database);
  await migrate(database);
  return database;
}

/** Every line a logger wrote, to search for what must never be there. */
function capturingLogger() {
  const lines: string[] = [];
  return { lines, logger: jsonLogger('debug', {}, (l) => lines.push(l)) };
}

const HOSTILE = `hostile-${crypto.randomUUID()}`;

describe('a database stopped and started under load', () => {
  it('answers 503 with Retry-After meanwhile, health follows, and every accepted generation completes', async () => {
    const database = await open({ max: 6, connectTimeoutMs: 1_000 });
    const { lines, logger } = capturingLogger();
    const app: LocalServer = await startLocalServer({
      database,
      port: 0,
      env: { ADMIN_API_KEY: `faults-admin-${'r'.repeat(40)}`, LOG_LEVEL: 'silent' },
      logger,
      pipeline: {
        generator: flakyGenerator(0).generator,
        visibilityTimeoutMs: 300,
        maxReceiveCount: 1_000,
        // A generation accepted just as the server stopped may have missed its send; maintenance
        // re-sends it once its grace is over.
        maintenanceIntervalMs: 1_000,
        deadLetterHandler: 'none',
        workerOverrides: { logger },
      },
    });
    const key = (
      await new ApiKeyStore(database, new EventStore(database)).create(
        { name: 'load', rateLimit: 100_000 },
        {},
      )
    ).key;
    const seen: { status: number; retryAfter: string | null; type: string | null; route: string }[] = [];
    const accepted: string[] = [];
    let stop = false;
    const client = async (n: number) => {
      while (!stop) {
        const post = await fetch(`${app.url}/generations`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: `${HOSTILE} ${n}`, name: HOSTILE }),
        }).catch(() => undefined);
        if (!post) continue;
        const body = (await post.json()) as { id?: string };
        seen.push({
          status: post.status,
          retryAfter: post.headers.get('retry-after'),
          type: post.headers.get('content-type'),
          route: 'POST /generations',
        });
        if (post.status === 202 && body.id) accepted.push(body.id);
        const list = await fetch(`${app.url}/generations?limit=5`, {
          headers: { authorization: `Bearer ${key}` },
        });
        await list.arrayBuffer();
        seen.push({
          status: list.status,
          retryAfter: list.headers.get('retry-after'),
          type: list.headers.get('content-type'),
          route: 'GET /generations',
        });
      }
    };
    const health = async () => {
      const res = await fetch(`${app.url}/health`);
      await res.arrayBuffer();
      if (res.status === 503) expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      return res.status;
    };
    const until = async (want: number, timeoutMs: number) => {
      const started = performance.now();
      while (performance.now() - started < timeoutMs) {
        if ((await health()) === want) return performance.now() - started;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`/health did not answer ${want} within ${timeoutMs} ms`);
    };
    /** Resolves once `check` holds (the clients got that far), or fails after `timeoutMs`. */
    const reached = async (what: string, check: () => boolean, timeoutMs = 15_000) => {
      const end = Date.now() + timeoutMs;
      while (!check()) {
        if (Date.now() > end) throw new Error(`the load did not reach: ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      const load = Promise.all([1, 2, 3].map(client));
      await reached('accepted generations', () => accepted.length >= 3);
      const acceptedBefore = accepted.length;
      await server.pause!();
      const unhealthyAfter = await until(503, 5_000);
      // The clients meet the outage: refused requests, not only health.
      const refusedBefore = seen.filter((s) => s.status === 503).length;
      await reached(
        'refused requests',
        () => seen.filter((s) => s.status === 503).length >= refusedBefore + 3,
      );
      await server.resume!();
      const healthyAfter = await until(200, 15_000);
      const acceptedAtRestart = accepted.length;
      await reached('accepted after the restart', () => accepted.length >= acceptedAtRestart + 3);
      stop = true;
      await load;

      expect(acceptedBefore).toBeGreaterThan(0);
      expect(accepted.length).toBeGreaterThan(acceptedAtRestart);
      expect(unhealthyAfter).toBeLessThan(3_000);
      expect(healthyAfter).toBeLessThan(15_000);
      const unavailable = seen.filter((s) => s.status === 503);
      expect(unavailable.length).toBeGreaterThan(0);
      for (const s of seen) {
        expect([200, 202, 503], `${s.route} → ${s.status}`).toContain(s.status);
        if (s.status === 503) {
          expect(s.retryAfter).toMatch(/^\d+$/);
          expect(s.type).toContain('application/problem+json');
        }
      }

      // Nothing accepted is lost: each completes once the worker can reach the database again.
      const probe = new pg.Client({ connectionString: server.url });
      await probe.connect();
      const completed = async () =>
        (
          await probe.query(
            `select count(*)::int as n from "${database.schema}".generations where id = any($1::uuid[]) and status = 'completed'`,
            [accepted],
          )
        ).rows[0].n as number;
      const deadline = Date.now() + 30_000;
      while ((await completed()) < accepted.length && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      const done = await completed();
      await probe.end();
      expect(done).toBe(accepted.length);

      // The outage was logged with its cause, and no prompt or name reached the log.
      const log = lines.join('\n');
      expect(log).toMatch(/"msg":"database unavailable"/);
      expect(log).not.toContain(HOSTILE);
    } finally {
      stop = true;
      await app.close();
    }
  });
});
