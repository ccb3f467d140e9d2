import { noQueue } from '@genledger/api/no-queue';
import type { Database } from '@genledger/db/connect';
import { type LocalServer, startLocalServer } from '@genledger/local/server';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';
import { ADMIN_KEY } from '../support/http-api.ts';
import { lockWaiters } from '../support/locks.ts';

const dbs = useDatabases();

/**
 * A row lock on one API key's row (a long transaction, a stuck console operation) against that
 * key's requests and another key's, over real HTTP on a real server. One of a key's requests is in
 * the database at a time: the locked key's 16 requests hold one of the pool's 8 connections, never
 * the pool. The ratio of the other key's latency, locked against unlocked, and when the locked
 * key's 503s come, are measured by `npm run bench -- key-lock`.
 */
const POOL = 8;
const PER_KEY = 1;
const LOCKED_REQUESTS = 16;
/** Large against this machine's noise (a loaded run adds up to about 1.5 s around a lock wait). */
const LOCK_TIMEOUT_MS = 2_000;

const servers: LocalServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

async function serve(lockTimeoutMs: number) {
  const database = await dbs.open('postgres', { pool: { max: POOL, lockTimeoutMs } });
  const server = await startLocalServer({
    database,
    port: 0,
    queue: noQueue,
    env: { LOG_LEVEL: 'silent', ADMIN_API_KEY: ADMIN_KEY, CURSOR_SECRET: 'k'.repeat(40) },
  });
  servers.push(server);
  const call = (key: string, path: string, body?: unknown) =>
    fetch(`${server.url}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  const newKey = async (name: string) =>
    (await (await call(ADMIN_KEY, '/api-keys', { name })).json()) as { id: string; key: string };
  return { database, server, call, newKey };
}

/** Holds the key's row as a long transaction would, until `release`. */
async function lockKeyRow(database: Database, keyId: string) {
  const holder = new pg.Client({ connectionString: database.config.url });
  await holder.connect();
  await holder.query('begin');
  await holder.query(`select 1 from "${database.schema}".api_keys where id = $1 for update`, [keyId]);
  return {
    release: async () => {
      await holder.query('commit');
      await holder.end();
    },
  };
}

/** Sessions of this database waiting for a lock now. */
async function waitingOnLocks(database: Database): Promise<number> {
  const client = new pg.Client({ connectionString: database.config.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
       where datname = current_database() and wait_event_type = 'Lock'`,
    );
    return rows[0]!.n;
  } finally {
    await client.end();
  }
}

/** `work`, or a failure naming what did not happen by the deadline (a hang is the bug). */
const within = <T>(work: Promise<T>, ms: number, what: string) =>
  Promise.race([
    work,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms).unref(),
    ),
  ]);

describe('a lock on one key row on postgres', () => {
  it("holds only that key's lane: another key's requests go through while 16 of the locked key's wait", async () => {
    // Waiting for the lock as long as it takes: only the lanes stand between the pool and the waiters.
    const { database, call, newKey } = await serve(0);
    const [locked, other] = [await newKey('locked'), await newKey('other')];
    const lock = await lockKeyRow(database, locked.id);
    const waiting = Array.from({ length: LOCKED_REQUESTS }, (_, i) =>
      call(locked.key, '/generations', { prompt: `waits ${i}` }),
    );
    await lockWaiters(database.config.url!, PER_KEY);
    try {
      const others = await within(
        Promise.all(
          Array.from({ length: 20 }, (_, i) => call(other.key, '/generations', { prompt: `goes ${i}` })),
        ),
        30_000,
        "another key's 20 requests did not complete while the locked key's 16 waited",
      );
      expect(others.map((r) => r.status)).toEqual(Array(20).fill(202));
      expect(await (await call(other.key, '/generations')).json()).toMatchObject({
        items: expect.any(Array),
      });
      // Only the lane's worth of the locked key's requests reached the database.
      expect(await waitingOnLocks(database)).toBe(PER_KEY);
    } finally {
      await lock.release();
    }
    expect((await Promise.all(waiting)).map((r) => r.status)).toEqual(Array(LOCKED_REQUESTS).fill(202));
    expect(await database.db.$count(database.tables.generations)).toBe(LOCKED_REQUESTS + 20);
  });

  it('answers every one of the locked key with a 503 and Retry-After, the queued ones with the first that gave up', async () => {
    const { database, call, newKey } = await serve(LOCK_TIMEOUT_MS);
    const [locked, other] = [await newKey('locked'), await newKey('other')];
    const lock = await lockKeyRow(database, locked.id);
    try {
      const timed = await Promise.all(
        Array.from({ length: LOCKED_REQUESTS }, async (_, i) => {
          const began = performance.now();
          const res = await call(locked.key, '/generations', { prompt: `${i}` });
          return { res, ms: performance.now() - began };
        }),
      );
      const answers = timed.map((t) => t.res);
      expect(answers.map((r) => r.status)).toEqual(Array(LOCKED_REQUESTS).fill(503));
      // None waited for the lock twice. Two of a key's requests in the database at once made the
      // second wait for the first's tuple lock, then for the holder's transaction, each wait a full
      // lock timeout: at least 2x, where one wait and the request around it take 1x and a margin.
      expect(Math.max(...timed.map((t) => t.ms))).toBeLessThan(2 * LOCK_TIMEOUT_MS);
      for (const r of answers) {
        expect(r.headers.get('retry-after')).toBe('5');
        expect(r.headers.get('content-type')).toContain('application/problem+json');
      }
      // Meanwhile and after, the other key is served.
      expect((await call(other.key, '/generations', { prompt: 'fine' })).status).toBe(202);
    } finally {
      await lock.release();
    }
    expect((await call(locked.key, '/generations', { prompt: 'after' })).status).toBe(202);
    expect(await database.db.$count(database.tables.generations)).toBe(2);
  });
});
