import { getTableColumns } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';

/**
 * Decodes the rows of a hand-written statement that returns a table's columns under their SQL
 * names (`returning *`, `select g.*`) into the table's inferred select type, through each column's
 * own driver mapping (timestamps to Date, integers and reals to numbers). Drivers differ in what
 * they hand back — node-postgres under drizzle gives timestamps as text, PGlite as Date — and the
 * column knows how to read both. Columns the statement did not return stay undefined, so select
 * what the caller reads.
 */
export function rowDecoder<T extends PgTable>(table: T): (raw: Record<string, unknown>) => T['$inferSelect'] {
  const columns = Object.entries(getTableColumns(table)).map(([key, column]) => ({
    key,
    name: column.name,
    decode: (v: unknown) => column.mapFromDriverValue(v),
  }));
  return (raw) => {
    const row: Record<string, unknown> = {};
    for (const c of columns) {
      const v = raw[c.name];
      row[c.key] = v === null || v === undefined ? v : c.decode(v);
    }
    return row as T['$inferSelect'];
  };
}
