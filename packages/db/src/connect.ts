import { AppError } from '@genledger/core/errors';
import { sql } from 'drizzle-orm';
import {
  type DbConfig,
  type DbOptions,
  type DriverName,
  type PoolSettings,
  redactUrl,
  resolveDbConfig,
} from './config.ts';
import type { Db } from './drivers/types.ts';
import { describeConnectionError } from './pg-errors.ts';
import { type Tables, tablesFor } from './schema/tables.ts';

export interface Database {
  db: Db;
  tables: Tables;
  schema: string;
  driver: DriverName;
  /** True when no DATABASE_URL was given and the embedded PGlite fallback is in use. */
  embedded: boolean;
  /** Where the data lives, safe to print (no password). */
  target: string;
  config: DbConfig;
  close(): Promise<void>;
}

/**
 * The one factory that opens a database: explicit options → environment → embedded PGlite.
 * Drivers load on demand so a Lambda bundle carries only the one it uses.
 */
export async function openDatabase(
  options: DbOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): Promise<Database> {
  const config = resolveDbConfig(options, env);
  return openDatabaseWith(config);
}

export async function openDatabaseWith(config: DbConfig): Promise<Database> {
  let opened: { db: Db; close(): Promise<void> };
  let target: string;
  switch (config.driver) {
    case 'pglite': {
      const { openPglite, pgliteDirectory } = await import('./drivers/pglite.ts');
      target = `embedded PGlite (${pgliteDirectory(config)})`;
      opened = await openPglite(config).catch((e: unknown) => {
        throw new AppError(
          'unavailable',
          `cannot open ${target}: ${e instanceof Error ? e.message : String(e)}`,
        );
      });
      break;
    }
    case 'pg': {
      const { openPg } = await import('./drivers/pg.ts');
      target = redactUrl(config.url!);
      opened = await openPg(config);
      break;
    }
    case 'neon': {
      const { openNeon } = await import('./drivers/neon.ts');
      target = `${redactUrl(config.url!)} (neon)`;
      opened = await openNeon(config);
      break;
    }
  }
  let closed = false;
  return {
    db: opened.db,
    tables: tablesFor(config.schema),
    schema: config.schema,
    driver: config.driver,
    embedded: config.driver === 'pglite',
    target,
    config,
    close: async () => {
      if (closed) return;
      closed = true;
      await opened.close();
    },
  };
}

/**
 * A pool of its own on the same database, for another part of the same process (the worker and
 * the maintenance job beside the API under `npm start`), so that none of them can take every
 * connection from the others. The embedded PGlite is one in-process connection that serves each
 * statement in turn; it is shared, and closing the sibling leaves it open.
 */
export async function openSiblingPool(database: Database, pool: Partial<PoolSettings>): Promise<Database> {
  if (database.embedded) return { ...database, close: async () => {} };
  return openDatabaseWith({ ...database.config, pool: { ...database.config.pool, ...pool } });
}

/** One round trip; turns any failure into a one-line `unavailable` error naming the target. */
export async function verifyConnection(database: Database): Promise<void> {
  try {
    await database.db.execute(sql`select 1`);
  } catch (e) {
    throw new AppError('unavailable', describeConnectionError(e, database.target), { cause: e });
  }
}
