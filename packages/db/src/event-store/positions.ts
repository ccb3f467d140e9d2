import { notFound } from '@genledger/core/errors';
import { sql } from 'drizzle-orm';
import { type Executor, rowsOf, toNumber } from '../executor.ts';
import type { EventTables } from './event-row.ts';
import type { Position } from './stored-event.ts';

/**
 * Positions in the feed are opaque to readers: the writing transaction's id and the sequence,
 * compared as a pair (see `feedRows`). START comes before every event.
 */
export const START: Position = { txId: '0', sequence: 0 };

/**
 * The feed position of a stored sequence number (0: the start), wherever its event lives now: a
 * reader's place may be an event the archive has moved since it was handed out. A sequence no
 * event has is no place in the feed: not-found, never the start, which would hand a reader that
 * passes it everything again (and a reader paging with `next` the same first page forever).
 */
export async function positionOf(
  db: Executor,
  t: Pick<EventTables, 'events' | 'archive'>,
  sequence: number,
): Promise<Position> {
  if (sequence <= 0) return START;
  const [row] = await rowsOf<{ tx_id: string }>(
    db.execute(
      sql`(select tx_id::text as tx_id from ${t.events} where sequence = ${sequence})
            union all
            (select tx_id::text as tx_id from ${t.archive} where sequence = ${sequence})
            limit 1`,
    ),
  );
  if (!row) {
    throw notFound(
      `no event has sequence ${sequence}: pass 0 for the start, or a \`next\` the feed returned`,
    );
  }
  return { txId: row.tx_id, sequence };
}

/**
 * The feed's last position a reader may pass now (every event at or before it is committed and
 * final: its transaction is older than every running one), or undefined for an empty feed.
 */
export async function visibleHead(
  db: Executor,
  t: Pick<EventTables, 'events' | 'archive'>,
): Promise<Position | undefined> {
  const [row] = await rowsOf<{ tx_text: string; sequence: unknown }>(
    db.execute(sql`
        select tx_id::text as tx_text, sequence from (
          (select tx_id, sequence from ${t.events} where tx_id < pg_snapshot_xmin(pg_current_snapshot())
           order by tx_id desc, sequence desc limit 1)
          union all
          (select tx_id, sequence from ${t.archive} order by tx_id desc, sequence desc limit 1)
        ) head order by tx_id desc, sequence desc limit 1`),
  );
  return row ? { txId: row.tx_text, sequence: toNumber(row.sequence) } : undefined;
}
