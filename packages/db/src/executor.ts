import { createHash } from 'node:crypto';
import type { SQL } from 'drizzle-orm';
import type { Db } from './drivers/types.ts';
import { compile, executeNamed } from './drizzle-internals.ts';

/** A database or an open transaction: stores accept either so use cases compose one transaction. */
export type Executor = Db;

/** Rows of `db.execute`, whatever the driver (node-postgres, PGlite and Neon all expose `.rows`). */
export async function rowsOf<T>(result: Promise<unknown>): Promise<T[]> {
  const r = (await result) as { rows?: T[] };
  return r.rows ?? [];
}

/**
 * For values that are not a table's columns: aggregates, bigint positions, the console's ad-hoc
 * read models. Rows of a table go through `rowDecoder` (table-rows.ts) and come out typed.
 */
export const toDate = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
export const toNumber = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

const statementNames = new Map<string, string>();

/**
 * Runs a hot statement as a named prepared statement, planned once per connection. A CTE that
 * writes a row and its event costs more to plan than to run; unnamed, planning doubles its
 * latency. The name is derived from the SQL text, so different texts never share a name.
 */
export async function executePrepared<T>(executor: Executor, label: string, statement: SQL): Promise<T[]> {
  const query = compile(executor, statement);
  if (query === undefined) return rowsOf<T>(executor.execute(statement));
  let name = statementNames.get(query.sql);
  if (!name) {
    name = `${label}_${createHash('sha1').update(query.sql).digest('hex').slice(0, 16)}`;
    statementNames.set(query.sql, name);
  }
  return rowsOf<T>(executeNamed(executor, name, query) ?? executor.execute(statement));
}
