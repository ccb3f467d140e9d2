import { type SQL, sql } from 'drizzle-orm';
import { type Executor, executePrepared, rowsOf, toNumber } from '../executor.ts';
import { COLUMNS, type EventRow, type EventTables, FEED_COLUMNS } from './event-row.ts';
import type { Position } from './stored-event.ts';

/**
 * The next page of the global feed after `after`, as the driver hands the rows. Only events whose
 * transaction is older than every transaction still running are returned: anything that could
 * still commit "behind" the page is held back until it can no longer appear, so a tailing reader
 * never skips an event.
 */
export function feedRows(
  db: Executor,
  t: Pick<EventTables, 'events' | 'archive'>,
  after: Position,
  limit: number,
): Promise<EventRow[]> {
  return executePrepared<EventRow>(
    db,
    'gl_read_after',
    // Archived events are older than every checkpoint: a tailing reader's probe of the archive
    // finds nothing at once (one index descent); a replay from the start reads both in order.
    // When the archive fills the page, no event of `events` past the archive's last one can be
    // in it, and that bound is the hot side's index condition: a page inside the archived
    // history reads the hot table's index only across the same stretch, never through every
    // entry the archive has moved out and vacuum has not yet removed (6,401 pages against 12 at
    // 10M events, bench: scale-archive).
    sql`
        with a as materialized (
          select ${COLUMNS}, tx_id from ${t.archive}
          where (tx_id, sequence) > (${after.txId}::xid8, ${after.sequence}::bigint)
          order by tx_id, sequence limit ${limit}
        ), b as (
          select tx_id, sequence from a order by tx_id desc, sequence desc limit 1
        )
        select ${FEED_COLUMNS} from (
          (select * from a)
          union all
          (select ${COLUMNS}, tx_id from ${t.events}
           where (tx_id, sequence) > (${after.txId}::xid8, ${after.sequence}::bigint)
             and (tx_id, sequence) <= (
               case when (select count(*) from a) < ${limit} then '18446744073709551615'::xid8
                    else (select b.tx_id from b) end,
               case when (select count(*) from a) < ${limit} then 9223372036854775807::bigint
                    else (select b.sequence from b) end)
             and tx_id < pg_snapshot_xmin(pg_current_snapshot())
           order by tx_id, sequence limit ${limit})
        ) feed order by tx_id, sequence limit ${limit}`,
  );
}

/**
 * Every event after `after` up to `upTo` as a relation of (event_type, event_version, payload,
 * stored_at), for a fold that runs in the database — only for event types whose stored payloads
 * are what a reader gets (see `EventDecoder.storesAsRead`): nothing here upcasts.
 */
export function feedBetween(
  t: Pick<EventTables, 'events' | 'archive'>,
  after: Position,
  upTo: Position,
): SQL {
  const range = sql`(tx_id, sequence) > (${after.txId}::xid8, ${after.sequence}::bigint)
    and (tx_id, sequence) <= (${upTo.txId}::xid8, ${upTo.sequence}::bigint)`;
  return sql`(select event_type, event_version, payload, stored_at from ${t.archive} where ${range}
                union all
                select event_type, event_version, payload, stored_at from ${t.events} where ${range})`;
}

/**
 * The position of the `limit`-th event after `after` that is at or before `upTo` (the last one when
 * fewer remain), or undefined when none does: the end of a rebuild's next chunk. Reads positions
 * from the (tx_id, sequence) indexes only, at most `limit` entries of each table.
 */
export async function chunkEnd(
  db: Executor,
  t: Pick<EventTables, 'events' | 'archive'>,
  after: Position,
  upTo: Position,
  limit: number,
): Promise<Position | undefined> {
  const range = sql`(tx_id, sequence) > (${after.txId}::xid8, ${after.sequence}::bigint)
    and (tx_id, sequence) <= (${upTo.txId}::xid8, ${upTo.sequence}::bigint)`;
  const [row] = await rowsOf<{ tx_text: string; sequence: unknown }>(
    db.execute(sql`
      select tx_id::text as tx_text, sequence from (
        select tx_id, sequence from (
          (select tx_id, sequence from ${t.archive} where ${range} order by tx_id, sequence limit ${limit})
          union all
          (select tx_id, sequence from ${t.events} where ${range} order by tx_id, sequence limit ${limit})
        ) both_tables order by tx_id, sequence limit ${limit}
      ) chunk order by tx_id desc, sequence desc limit 1`),
  );
  return row ? { txId: row.tx_text, sequence: toNumber(row.sequence) } : undefined;
}
