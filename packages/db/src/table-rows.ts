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
export function rowDecoder<T extends PgTable>(
  table: T | (() => T),
): (raw: Record<string, unknown>) => T['$inferSelect'] {
  // Given a thunk, the decoder is generated on its first row: module-level decoders then cost
  // nothing at import (a cold start builds no table for them; docs/cold-start.md).
  if (typeof table === 'function') {
    const tableOf = table as () => T;
    let decode: ((raw: Record<string, unknown>) => T['$inferSelect']) | undefined;
    return (raw) => {
      if (!decode) decode = rowDecoder(tableOf());
      return decode(raw);
    };
  }
  const columns = Object.entries(getTableColumns(table)).map(([key, column]) => ({
    key,
    name: column.name,
    // Text, uuid and boolean columns keep the base class's identity mapping: copied, not called.
    decode:
      Object.hasOwn(column, 'mapFromDriverValue') ||
      Object.hasOwn(Object.getPrototypeOf(column), 'mapFromDriverValue')
        ? (v: unknown) => column.mapFromDriverValue(v)
        : undefined,
  }));
  // One object literal with every key in a fixed order, generated once per table: V8 gives every
  // decoded row the same shape, where assigning keys one by one cost 1.2 µs more per row (a list
  // page decodes a hundred). Keys and names come from the schema, never from input.
  const body = columns
    .map((c, i) => {
      const v = `raw[${JSON.stringify(c.name)}]`;
      const value = c.decode ? `(${v} === null || ${v} === undefined ? ${v} : d[${i}](${v}))` : v;
      return `${JSON.stringify(c.key)}: ${value}`;
    })
    .join(',\n');
  const build = new Function('d', `return (raw) => ({${body}});`) as (
    decoders: ((v: unknown) => unknown)[],
  ) => (raw: Record<string, unknown>) => T['$inferSelect'];
  return build(columns.map((c) => c.decode ?? ((v: unknown) => v)));
}
