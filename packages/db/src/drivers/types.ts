import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';

/** Any drizzle Postgres database or transaction; all three drivers share this surface. */
export type Db = PgDatabase<PgQueryResultHKT, Record<string, never>>;

export interface OpenedDriver {
  db: Db;
  close(): Promise<void>;
}
