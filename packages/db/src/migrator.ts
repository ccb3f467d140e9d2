import { sql } from 'drizzle-orm';
import type { Database } from './connect.ts';
import { rowsOf, toNumber } from './executor.ts';
import { forSchema, type MigrationFile, readMigrations } from './migrations.ts';
import { pgError } from './pg-errors.ts';

/** SQLSTATE 42P01: the relation does not exist. */
const UNDEFINED_TABLE = '42P01';

export const MIGRATIONS_TABLE = '__drizzle_migrations';
/** First key of the two-key advisory lock: "genl". The second is the schema's hash. */
const LOCK_CLASS = 0x67656e6c;

export interface MigrationReport {
  schema: string;
  applied: string[];
  alreadyApplied: number;
  durationMs: number;
}

/**
 * Applies pending migrations in one transaction under a transaction-scoped advisory lock, so
 * concurrent migrators (three Lambdas at deploy, two `npm start`s) serialise: the first applies,
 * the others wait, then find nothing to do. Transaction-scoped because Neon's pooled endpoint is
 * PgBouncer in transaction mode, where a session lock would not hold.
 */
export async function migrate(
  database: Database,
  options: { migrations?: MigrationFile[]; migrationsDir?: string } = {},
): Promise<MigrationReport> {
  const started = Date.now();
  const schema = database.schema;
  const files = options.migrations ?? readMigrations(options.migrationsDir);
  const table = sql.raw(`"${schema}"."${MIGRATIONS_TABLE}"`);

  const applied = await database.db.transaction(async (tx) => {
    // The pool's short lock_timeout is for request paths; a second migrator waits its turn.
    await tx.execute(sql`set local lock_timeout = 0`);
    await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_CLASS}, hashtext(${schema}))`);
    await tx.execute(sql.raw(`create schema if not exists "${schema}"`));
    await tx.execute(
      sql`create table if not exists ${table} (id serial primary key, hash text not null, created_at bigint)`,
    );
    const done = await rowsOf<{ hash: string; created_at: unknown }>(
      tx.execute(sql`select hash, created_at from ${table}`),
    );
    const doneHashes = new Set(done.map((r) => r.hash));
    const lastApplied = done.reduce((max, r) => Math.max(max, toNumber(r.created_at)), 0);
    const now: string[] = [];
    for (const file of files) {
      // A migration is done when its hash is recorded, or (drizzle's own rule) anything newer is.
      if (doneHashes.has(file.hash) || file.createdAt <= lastApplied) continue;
      for (const statement of file.statements) await tx.execute(sql.raw(forSchema(statement, schema)));
      await tx.execute(sql`insert into ${table} (hash, created_at) values (${file.hash}, ${file.createdAt})`);
      now.push(file.tag);
    }
    return { now, already: files.length - now.length };
  });

  return { schema, applied: applied.now, alreadyApplied: applied.already, durationMs: Date.now() - started };
}

/** The newest migration recorded in the schema, or undefined when the schema was never migrated. */
export async function appliedMigrationState(
  database: Database,
): Promise<{ latestCreatedAt: number; count: number } | undefined> {
  // One round trip: the history is read directly, and a missing table (never migrated) is the
  // one error that means "no state" (this probe runs on a cold start's first request).
  const table = sql.raw(`"${database.schema}"."${MIGRATIONS_TABLE}"`);
  try {
    const [row] = await rowsOf<{ latest: unknown; count: number }>(
      database.db.execute(
        sql`select coalesce(max(created_at), 0) as latest, count(*)::int as count from ${table}`,
      ),
    );
    return { latestCreatedAt: toNumber(row?.latest ?? 0), count: row?.count ?? 0 };
  } catch (e) {
    if (pgError(e)?.code === UNDEFINED_TABLE) return undefined;
    throw e;
  }
}
