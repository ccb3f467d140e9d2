import { sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';

/**
 * An event as the reads select it, before it becomes a StoredEvent (`EventDecoder.toStored`).
 *
 * Decoded by hand rather than by `rowDecoder`: replay reads a few hundred thousand of these a
 * second and is measured against a bare SELECT (bench: event-store), so it converts only what
 * `StoredEvent` needs.
 */
export interface EventRow {
  sequence: unknown;
  stream_id: string;
  stream_version: unknown;
  event_type: string;
  event_version: unknown;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown> | null;
  tx_text: string;
  /** Epoch milliseconds (see COLUMNS). */
  stored_at: number;
}

/**
 * stored_at as epoch milliseconds: a number becomes a Date without parsing text (0.3 s per million
 * rows on replay). `date_part` answers a float8 where `extract` computes a numeric (a tenth of a
 * replay's time against a plain SELECT). Between 1970 and 2038 the float of epoch seconds times a
 * million lies within a quarter of the whole microseconds (seconds below 2^31: one rounding of at
 * most 2^-23 s, the product's of at most 0.125 µs), so rounding it and flooring the milliseconds is
 * exact, and spares `date_trunc`'s calendar and time zone: a page of 1,000 in the feed 1.87 → 1.79 ms
 * of Postgres time (EXPLAIN with SERIALIZE, median of 41). Outside those years, `date_trunc` to the
 * millisecond, whose float lies within rounding of a whole number, which `toStored` rounds to.
 */
export const STORED_AT_MS = `case when stored_at >= '1970-01-01 00:00:00+00' and stored_at < '2038-01-01 00:00:00+00'
    then floor(round(date_part('epoch', stored_at) * 1000000) / 1000)
    else date_part('epoch', date_trunc('milliseconds', stored_at)) * 1000 end as stored_at`;
export const COLUMNS = sql.raw(
  `sequence, stream_id, stream_version, event_type, event_version, payload, metadata, tx_id::text as tx_text, ${STORED_AT_MS}`,
);
/** COLUMNS as named in a union of both tables; its raw `tx_id` orders it, and is not sent. */
export const FEED_COLUMNS = sql.raw(
  'sequence, stream_id, stream_version, event_type, event_version, payload, metadata, tx_text, stored_at',
);

/** Where events live: the hot table, the archive `archive` moves them to, and the checkpoints that say what may move. */
export interface EventTables {
  events: PgTable;
  archive: PgTable;
  checkpoints: PgTable;
}
