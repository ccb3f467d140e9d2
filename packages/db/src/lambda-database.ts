import type { Database } from './connect.ts';
import { openDatabase } from './connect.ts';
import { wrapPoolQuery } from './drizzle-internals.ts';
import { pgError } from './pg-errors.ts';

const STALE_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
]);
const STALE_MESSAGES =
  /Connection terminated|connection error|WebSocket was closed|socket hang up|Client was closed|terminating connection/i;

/** A connection that died under us (server restart, idle reaper, a Lambda frozen between calls). */
export function isStaleConnectionError(e: unknown): boolean {
  const info = pgError(e);
  if (info?.code && STALE_CODES.has(info.code)) return true;
  for (let cur: unknown = e, depth = 0; cur instanceof Error && depth < 5; cur = cur.cause, depth++) {
    if (STALE_MESSAGES.test(cur.message)) return true;
  }
  return false;
}

/** Runs `fn`, and once more if it failed only because its connection was dead. */
export async function withRetryOnStaleConnection<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!isStaleConnectionError(e)) throw e;
    return fn();
  }
}

/**
 * Makes every single statement sent through the pool (all of the hot paths: auth, create, list,
 * the worker's transitions) survive a connection killed while the function was frozen: the dead
 * client is dropped and the statement runs once more on a fresh one. The failed statement did not
 * commit (its backend was gone), so running it again is safe.
 */
export function retryStaleStatements(database: Database): Database {
  if (database.driver !== 'pglite') wrapPoolQuery(database.db, withRetryOnStaleConnection);
  return database;
}

const cache = new Map<string, Promise<Database>>();

/**
 * One database per Lambda container and configuration, opened on first use and reused across warm
 * invocations. Two connections at most unless DB_POOL_MAX says otherwise (Neon's advice for
 * Lambda: a small global pool for transactions).
 */
export function lambdaDatabase(env: NodeJS.ProcessEnv = process.env): Promise<Database> {
  const key = `${env.DATABASE_URL ?? ''}|${env.DB_SCHEMA ?? ''}|${env.DB_DRIVER ?? ''}`;
  let db = cache.get(key);
  if (!db) {
    db = openDatabase({ pool: env.DB_POOL_MAX ? {} : { max: 2 } }, env)
      .then(retryStaleStatements)
      .catch((e: unknown) => {
        cache.delete(key);
        throw e;
      });
    cache.set(key, db);
  }
  return db;
}
