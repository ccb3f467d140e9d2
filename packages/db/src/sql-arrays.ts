import { type SQL, sql } from 'drizzle-orm';

/**
 * One bound `text[]` parameter: the driver encodes the array, so no id is ever pasted into SQL or
 * into an array literal (a quote, comma or backslash in an id is just a character of it).
 */
export const textArray = (values: readonly string[]): SQL => sql`${sql.param([...values])}::text[]`;

/**
 * One bound `uuid[]` parameter. Compare with `= any(...)`: that lets the planner use the primary
 * key, where an `in (select …)` over a set-returning function is estimated badly and turned into a
 * scan of the whole table.
 */
export const uuidArray = (ids: readonly string[]): SQL => sql`${sql.param([...ids])}::uuid[]`;
