import { createHash } from 'node:crypto';
import { jsonLogger } from '@genledger/adapters/json-logger';
import { noQueue } from '@genledger/api/no-queue';
import { MESSAGE_TYPE } from '@genledger/core/contracts/queue-message';
import { safeMessage, summarizeError } from '@genledger/core/error-summary';
import { RETRY_AFTER_SECONDS } from '@genledger/core/errors';
import { processGenerationMessage } from '@genledger/core/use-cases/process-generation-message';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import type { DbOptions } from '@genledger/db/config';
import { type Database, openDatabase } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { migrate } from '@genledger/db/migrator';
import { isDatabaseUnavailable } from '@genledger/db/pg-errors';
import { startLocalServer } from '@genledger/local/server';
import { workerDeps } from '@genledger/wiring/worker';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../packages/db/src/executor.ts';
import { uniqueSchema, useDatabases } from '../support/databases.ts';
import { flakyGenerator } from '../support/generators.ts';
import { lockWaiters } from '../support/locks.ts';

/**
 * Faults of the database under a running server: a row lock held from another connection, a
 * burst from other functions, session bounds, input Postgres cannot store, driver errors carrying
 * hostile parameters. On this file's own database of the run's server; a server stopped and
 * started mid-load is database-restart.test.ts, on a server of its own.
 */
const dbs = useDatabases();
const server = {
  get url() {
    return dbs.server().url;
  },
};
const opened: Database[] = [];
afterAll(async () => {
  for (const d of opened.splice(0)) await d.close().catch(() => {});
});

async function open(pool: DbOptions['pool'] = {}): Promise<Database> {
  const database = await openDatabase(
    { driver: 'pg', url: server.url, schema: uniqueSchema('faults'), pool: { max: 4, ...pool } },
    {},
  );
  opened.push(database);
  await migrate(database);
  return database;
}

/** Resolves once the server has ended the session `pid` (polled in pg_stat_activity). */
async function sessionEnded(pid: number, timeoutMs = 10_000) {
  const probe = new pg.Client({ connectionString: server.url });
  await probe.connect();
  try {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await probe.query('select 1 from pg_stat_activity where pid = $1', [pid]);
      if (rows.length === 0) return;
      if (Date.now() > end) throw new Error(`session ${pid} still there after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    await probe.end();
  }
}

/** Every line a logger wrote, to search for what must never be there. */
function capturingLogger() {
  const lines: string[] = [];
  return { lines, logger: jsonLogger('debug', {}, (l) => lines.push(l)) };
}

const HOSTILE = `hostile-${crypto.randomUUID()}`;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('driver errors in logs', () => {
  it('name the class, code and cause, never the parameters', async () => {
    const database = await open();
    const error = await database.db
      .execute(sql`select ${HOSTILE}::uuid`)
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(String((error as Error).message)).toContain(HOSTILE); // what would have been logged
    const summary = summarizeError(error);
    expect(summary.errorCode).toBe('22P02');
    expect(summary.error).toMatch(/^DrizzleQueryError: query failed ← DatabaseError 22P02/);
    expect(JSON.stringify(summary)).not.toContain(HOSTILE);
    // Parameters never decide the status either: a prompt that reads like a driver failure is input.
    const lookalike = await database.db
      .execute(sql`select ${'Connection terminated unexpectedly'}::uuid`)
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(isDatabaseUnavailable(lookalike)).toBe(false);
    expect(isDatabaseUnavailable(error)).toBe(false);
    expect(safeMessage(error)).not.toContain(HOSTILE);

    const refused = await openDatabase(
      { driver: 'pg', url: 'postgres://u:p@127.0.0.1:1/x', pool: { connectTimeoutMs: 500 } },
      {},
    );
    const down = await refused.db
      .execute(sql`select ${HOSTILE}`)
      .then(() => undefined)
      .catch((e: unknown) => e);
    await refused.close();
    expect(summarizeError(down).error).toMatch(/ECONNREFUSED/);
    expect(summarizeError(down).error).not.toContain(HOSTILE);
  });
});

describe('a row lock held from a second connection', () => {
  it('other keys keep working; the locked key gets a quick 503; nothing logs the key', async () => {
    const database = await open({ max: 3, lockTimeoutMs: 300 });
    const { lines, logger } = capturingLogger();
    const app = await startLocalServer({
      database,
      port: 0,
      queue: noQueue,
      env: { ADMIN_API_KEY: `faults-admin-${'k'.repeat(40)}` },
      logger,
    });
    const holder = new pg.Client({ connectionString: server.url });
    try {
      const keys = new ApiKeyStore(database, new EventStore(database));
      const locked = await keys.create({ name: 'locked', rateLimit: 100_000 }, {});
      const free = await keys.create({ name: 'free', rateLimit: 100_000 }, {});
      await holder.connect();
      await holder.query('begin');
      await holder.query(`select 1 from "${database.schema}".api_keys where id = $1 for update`, [
        locked.summary!.id,
      ]);

      const get = async (path: string, key?: string) => {
        const started = performance.now();
        const res = await fetch(`${app.url}${path}`, {
          headers: key ? { authorization: `Bearer ${key}` } : {},
        });
        return {
          status: res.status,
          retryAfter: res.headers.get('retry-after'),
          type: res.headers.get('content-type'),
          ms: performance.now() - started,
          body: await res.text(),
        };
      };
      // More requests for the locked key than the pool has connections, interleaved with others.
      const results = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          i % 2 === 0
            ? get('/generations', locked.key).then((r) => ({ ...r, locked: true }))
            : get('/generations', free.key).then((r) => ({ ...r, locked: false })),
        ),
      );
      const health = await get('/health');
      for (const r of results.filter((x) => !x.locked)) expect(r.status, r.body).toBe(200);
      for (const r of results.filter((x) => x.locked)) {
        expect(r.status, r.body).toBe(503);
        expect(r.retryAfter).toMatch(/^\d+$/);
        expect(r.type).toContain('application/problem+json');
        // 12 waits of 300 ms over 3 connections: bounded by the lock timeout, not by the lock.
        expect(r.ms).toBeLessThan(5_000);
      }
      expect(health.status).toBe(200);
      // The console classifies the same way: signing in with the locked key is a 503 page to retry.
      const signIn = await fetch(`${app.url}/console/signin`, {
        method: 'POST',
        body: new URLSearchParams({ key: locked.key }),
        headers: { origin: app.url },
        redirect: 'manual',
      });
      expect(signIn.status).toBe(503);
      expect(signIn.headers.get('retry-after')).toBe(String(RETRY_AFTER_SECONDS));
      expect(signIn.headers.get('content-type')).toContain('text/html');
      expect(signIn.headers.get('set-cookie')).toBeNull();
      expect(await signIn.text()).toContain('the database is unavailable; retry shortly');

      // Neither the key, its hash nor its prefix reached the log; the cause did.
      const log = lines.join('\n');
      expect(log).not.toContain(locked.key);
      expect(log).not.toContain(sha256(locked.key));
      expect(log).not.toContain(locked.summary!.prefix);
      expect(log).toMatch(/"errorCode":"55P03"/);

      await holder.query('rollback');
      expect((await get('/generations', locked.key)).status).toBe(200);
    } finally {
      await holder.end().catch(() => {});
      await app.close();
    }
  });

  it('a worker or maintenance burst cannot take the API its connections (pools of their own)', async () => {
    const database = await open({ max: 2 });
    const app = await startLocalServer({
      database,
      port: 0,
      env: { ADMIN_API_KEY: `faults-admin-${'p'.repeat(40)}`, LOG_LEVEL: 'silent' },
      logger: capturingLogger().logger,
      pipeline: { generator: flakyGenerator(0).generator, deadLetterHandler: 'none' },
    });
    const holder = new pg.Client({ connectionString: server.url });
    try {
      const pipeline = app.pipeline!;
      // Every connection of the API's pool is busy, waiting for a lock held here ...
      await holder.connect();
      await holder.query('select pg_advisory_lock(4242)');
      let released = false;
      const busy = Promise.all(
        [1, 2].map(() =>
          database.db.transaction(async (tx) => {
            await tx.execute(sql`set local lock_timeout = 0`);
            await tx.execute(sql`select pg_advisory_xact_lock(4242)`);
          }),
        ),
      ).finally(() => {
        released = true;
      });
      await lockWaiters(server.url, 2);
      // ... and the worker still takes and completes a message, and maintenance runs, meanwhile.
      const generationId = crypto.randomUUID();
      await pipeline.queue.send([
        { type: MESSAGE_TYPE, version: 1, generationId, request: { prompt: 'own pool' } },
      ]);
      await pipeline.drain(10_000);
      await Promise.race([
        pipeline.runMaintenance(),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('maintenance waited for the API pool')), 10_000).unref(),
        ),
      ]);
      expect(released).toBe(false);
      await holder.query('select pg_advisory_unlock(4242)');
      await busy;
      const probe = new pg.Client({ connectionString: server.url });
      await probe.connect();
      const { rows } = await probe.query(
        `select status from "${database.schema}".generations where id = $1`,
        [generationId],
      );
      await probe.end();
      expect(rows[0]?.status).toBe('completed');
    } finally {
      await holder.end().catch(() => {});
      await app.close();
    }
  });
});

describe('session bounds', () => {
  it('every pooled session carries lock_timeout and idle_in_transaction_session_timeout', async () => {
    const database = await open({ lockTimeoutMs: 1_500, idleInTransactionTimeoutMs: 300 });
    const { rows } = (await database.db.execute(
      sql`select current_setting('lock_timeout') as lock, current_setting('idle_in_transaction_session_timeout') as idle`,
    )) as unknown as { rows: { lock: string; idle: string }[] };
    expect(rows[0]).toEqual({ lock: '1500ms', idle: '300ms' });
    // A transaction left idle is ended by the server: it cannot hold locks or the feed back.
    const error = await database.db
      .transaction(async (tx) => {
        const [{ pid }] = (await rowsOf<{ pid: number }>(
          tx.execute(sql`select pg_backend_pid() as pid`),
        )) as [{ pid: number }];
        await sessionEnded(pid);
        await tx.execute(sql`select 1`);
      })
      .then(() => undefined)
      .catch((e: unknown) => e);
    expect(error).toBeDefined();
    expect(isDatabaseUnavailable(error)).toBe(true);
    // The pool replaces the ended session.
    expect(
      ((await database.db.execute(sql`select 1 as one`)) as unknown as { rows: unknown[] }).rows,
    ).toHaveLength(1);
  });
});

describe('input Postgres cannot store, arriving on the queue', () => {
  it('is recorded invalid at once, not retried into the dead-letter queue', async () => {
    const database = await open();
    const deps = await workerDeps(database, { LOG_LEVEL: 'silent' }, { logger: capturingLogger().logger });
    const bodies = [
      { prompt: 'nul \u0000 inside' },
      { prompt: 'lone \ud800 surrogate' },
      { prompt: 'p', guidance: 1e-320 },
      { prompt: 'p', name: 'x\udfff' },
    ];
    const store = new FailedMessageStore(database, new EventStore(database));
    for (const [i, request] of bodies.entries()) {
      const generationId = crypto.randomUUID();
      const outcome = await processGenerationMessage(deps, {
        messageId: `m-${i}`,
        body: JSON.stringify({ type: MESSAGE_TYPE, version: 1, generationId, request }),
        receiveCount: 1,
        queue: 'q',
      });
      expect(outcome.status, JSON.stringify(request)).toBe('invalid');
      const page = await store.list(
        { statuses: ['unresolved'] },
        { field: 'lastFailedAt', descending: true },
        100,
      );
      const recorded = page.items.find((m) => m.generationId === generationId);
      expect(recorded?.invalid).toBe(true);
    }
    // A raw body Postgres cannot store as it is (not JSON at all) is still recorded, repaired.
    const raw = await processGenerationMessage(deps, {
      messageId: 'm-raw',
      body: 'not json \u0000 \ud800',
      receiveCount: 1,
      queue: 'q',
    });
    expect(raw.status).toBe('invalid');
    const page = await store.list(
      { statuses: ['unresolved'] },
      { field: 'lastFailedAt', descending: true },
      100,
    );
    const recorded = page.items.find((m) => m.messageId === 'm-raw');
    expect(recorded?.invalid).toBe(true);
    expect((await store.get(recorded!.id))?.body).toBe('not json \uFFFD \uFFFD');
  });
});
