import { type SQL, sql } from 'drizzle-orm';

/**
 * One bound `text[]` parameter: the driver encodes the array, so no id is ever pasted into SQL or
 * into an array literal (a quote, comma or backslash in an id is just a character of it).
 */
export const textArray = (values: readonly string[]): SQL => sql`${sql.param([...values])}::text[]`;
