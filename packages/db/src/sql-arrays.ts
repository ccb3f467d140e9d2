import { type SQL, sql } from 'drizzle-orm';

/**
 * One bound `text[]` parameter: the driver encodes the array, so no id is ever pasted into SQL or
 * into an array literal (a quote, comma or backslash in an id is just a character of it).
 */
export const textArray = (values: readonly string[]): SQL => sql`${sql.param([...values])}::text[]`;

/**
 * A uuid[] literal. `= any(array)` lets the planner use the primary key; an `in (select …)` over a
 * set-returning function is estimated badly and turned into a scan of the whole table.
 */
export function uuidArray(ids: readonly string[]): string {
  for (const id of ids) if (!/^[0-9a-f-]{36}$/i.test(id)) throw new Error(`not a uuid: ${id}`);
  return `{${ids.join(',')}}`;
}
