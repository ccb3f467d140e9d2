import type { SQL } from 'drizzle-orm';
import type { Db } from './drivers/types.ts';

/**
 * The only place that reaches into drizzle's internals (drizzle-orm is pinned, 0.45.4, for this
 * reason). Two things the public API does not offer, both measured to matter:
 *
 * - Named prepared statements for hand-written SQL. drizzle's `.prepare(name)` exists only on its
 *   query builders; the hot statements (a row and its event in one CTE, the key check joined to the
 *   work) are `sql` templates, which cost more to plan than to run. Named, each connection plans
 *   them once; unnamed, planning doubled their latency.
 * - The pool's `query`, wrapped so a statement whose connection died while a Lambda was frozen
 *   runs once more on a fresh connection (lambda-database.ts).
 *
 * `test/db/drizzle-internals.test.ts` checks both on every driver, so an upgrade that moves
 * these internals fails a test instead of silently losing the prepared path.
 */

interface PreparingSession {
  prepareQuery(
    query: { sql: string; params: unknown[] },
    fields: undefined,
    name: string,
    arrayMode: boolean,
  ): { execute(placeholderValues?: Record<string, unknown>): Promise<unknown> };
}

interface DrizzleInternals {
  dialect?: { sqlToQuery(statement: SQL): { sql: string; params: unknown[] } };
  _?: { session?: PreparingSession };
  $client?: unknown;
}

/** SQL text and parameters of a statement, as drizzle would send them. */
export function compile(executor: Db, statement: SQL): { sql: string; params: unknown[] } | undefined {
  return (executor as unknown as DrizzleInternals).dialect?.sqlToQuery(statement);
}

/**
 * Runs a statement, compiled by `compile`, as the named prepared statement `name` on the
 * executor's session (a database or an open transaction). Undefined when the executor has no such
 * session: the caller runs it unnamed.
 */
export function executeNamed(
  executor: Db,
  name: string,
  query: { sql: string; params: unknown[] },
  /** Values of the `sql.placeholder`s among `query.params`. */
  values?: Record<string, unknown>,
): Promise<unknown> | undefined {
  const session = (executor as unknown as DrizzleInternals)._?.session;
  return session?.prepareQuery(query, undefined, name, false).execute(values);
}

type Queryable = { query: (...args: unknown[]) => Promise<unknown> };

/**
 * Wraps the `query` of the client under a drizzle database (the node-postgres or Neon pool, or
 * PGlite); every statement outside a transaction goes through it. False when it has none.
 */
export function wrapPoolQuery(db: Db, wrap: (run: () => Promise<unknown>) => Promise<unknown>): boolean {
  const pool = (db as unknown as DrizzleInternals).$client as Queryable | undefined;
  if (!pool || typeof pool.query !== 'function') return false;
  const original = pool.query.bind(pool);
  pool.query = (...args: unknown[]) => wrap(() => original(...args));
  return true;
}
