import { sql } from 'drizzle-orm';
import { type Executor, rowsOf } from '../executor.ts';
import { COLUMNS, type EventRow, type EventTables } from './event-row.ts';
import type { StoredEvent } from './stored-event.ts';
import type { EventDecoder } from './upcasting.ts';

/** One stream in version order. Versions are gap-free, so no visibility horizon is needed here. */
export async function readStream(
  db: Executor,
  t: Pick<EventTables, 'events' | 'archive'>,
  decoder: EventDecoder,
  streamId: string,
): Promise<StoredEvent[]> {
  const rows = await rowsOf<EventRow>(
    db.execute(
      sql`select ${COLUMNS} from ${t.archive} where stream_id = ${streamId}
            union all
            select ${COLUMNS} from ${t.events} where stream_id = ${streamId}
            order by stream_version`,
    ),
  );
  return rows.map((r) => decoder.toStored(r));
}
