import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { DbConfig } from '../config.ts';
import { keepSessionsOnRefusal } from './pg-keeping-pool.ts';
import type { Db, OpenedDriver } from './types.ts';

export async function openPg(config: DbConfig): Promise<OpenedDriver> {
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.pool.max,
    idleTimeoutMillis: config.pool.idleTimeoutMs,
    maxLifetimeSeconds: config.pool.maxLifetimeSeconds,
    connectionTimeoutMillis: config.pool.connectTimeoutMs,
    statement_timeout: config.pool.statementTimeoutMs || undefined,
    lock_timeout: config.pool.lockTimeoutMs || undefined,
    idle_in_transaction_session_timeout: config.pool.idleInTransactionTimeoutMs || undefined,
    application_name: 'genledger',
  });
  // An idle client dropped by the server must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  // A backend killed mid-query also emits 'error' on its client; the query's promise already
  // carries it, so the event must not become an uncaught exception that kills the process.
  pool.on('connect', (client) => client.on('error', () => {}));
  keepSessionsOnRefusal(pool);
  const db = drizzle({ client: pool }) as unknown as Db;
  return { db, close: () => pool.end() };
}
