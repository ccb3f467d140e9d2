import { sql } from 'drizzle-orm';
import { type Executor, rowsOf, toNumber } from '../executor.ts';
import type { EventTables } from './event-row.ts';

export interface ArchiveOptions {
  olderThan: Date;
  chunk?: number;
  maxChunks?: number;
}

/**
 * Moves old events to `events_archive`, `chunk` at a time (short statements, no long locks), so
 * `events` stays the size of the recent past however long the history: the feed and vacuum work
 * on the hot table only. An event moves when it was stored before `olderThan` and every
 * projection checkpoint has passed it, its stream's latest event too (since migration 0006:
 * appends read a stream's head from both tables, so a stream whose head moved goes on from it;
 * before, heads stayed, and at 100M events they were over half of `events`). Stream reads and
 * replays from before the archive read both tables; the tailing feed reads `events`.
 *
 * Each statement looks at the next `chunk` events after the archive's highest sequence, in
 * sequence order, and moves the ones that qualify; the run stops at the first event too young or
 * not yet passed. So a run reads at most `chunk × maxChunks` rows however large the recent past
 * is (measured at 10M events by `npm run bench -- scale-archive`: a run with nothing to move read
 * the whole hot table before). An event left below the archive's highest sequence (a head left
 * behind before 0006, or one whose transaction the run could not see yet) stays in `events`:
 * reads see it there as anywhere.
 */
export async function archiveEvents(
  db: Executor,
  t: EventTables,
  options: ArchiveOptions,
): Promise<{ moved: number }> {
  const chunk = options.chunk ?? 10_000;
  const [horizon] = await rowsOf<{ tx_id: string; sequence: unknown }>(
    db.execute(
      sql`select tx_id::text as tx_id, sequence from ${t.checkpoints} order by tx_id, sequence limit 1`,
    ),
  );
  const passed = horizon
    ? sql`(w.tx_id, w.sequence) <= (${horizon.tx_id}::xid8, ${toNumber(horizon.sequence)}::bigint)`
    : sql`true`;
  const [resume] = await rowsOf<{ sequence: unknown }>(
    db.execute(sql`select coalesce(max(sequence), 0) as sequence from ${t.archive}`),
  );
  let last = toNumber(resume?.sequence ?? 0);
  let moved = 0;
  for (let n = 0; n < (options.maxChunks ?? Number.POSITIVE_INFINITY); n++) {
    const [row] = await rowsOf<{ moved: unknown; scanned: unknown; upto: unknown; stop: boolean }>(
      db.execute(sql`
          with w as materialized (
            select x.sequence, x.stream_id, x.stream_version, x.tx_id,
                   x.stored_at < ${options.olderThan.toISOString()}::timestamptz as old
            from ${t.events} x where x.sequence > ${last}::bigint order by x.sequence limit ${chunk}
          ), c as (
            select w.*, w.old and ${passed} and w.tx_id < pg_snapshot_xmin(pg_current_snapshot()) as ready
            from w
          ), m as (
            delete from ${t.events} e
            where e.sequence in (select c.sequence from c where c.ready)
            returning e.*
          ), a as (
            -- In sequence order: the archive's pages then hold a stream's and the feed's
            -- neighbours together, as the hot table's did.
            insert into ${t.archive}
              (sequence, stream_id, stream_version, event_type, event_version, payload, metadata, tx_id, stored_at)
            select sequence, stream_id, stream_version, event_type, event_version, payload, metadata, tx_id, stored_at
            from m order by sequence
          )
          select (select count(*) from m) as moved, count(*) as scanned,
                 coalesce(max(c.sequence), 0) as upto, coalesce(bool_or(not c.ready), false) as stop
          from c`),
    );
    moved += toNumber(row?.moved ?? 0);
    if (!row || row.stop || toNumber(row.scanned) < chunk) break;
    last = toNumber(row.upto);
  }
  return { moved };
}
