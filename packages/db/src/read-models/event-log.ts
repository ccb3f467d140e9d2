import {
  EVENT_SEARCH_WINDOW,
  type EventLogFilter,
  type EventLogReads,
} from '@genledger/core/ports/console-read-model';
import type { StoredEvent } from '@genledger/core/ports/event-reader';
import { type SQL, sql } from 'drizzle-orm';
import { EVENT_ROW_COLUMNS, type EventRow, type EventStore } from '../event-store.ts';
import type { ReadScope } from './read-scope.ts';

/** The console's event log: the newest events, filtered by type and stream, read through the event store. */
export class EventLogQueries implements EventLogReads {
  constructor(
    private readonly scope: ReadScope,
    private readonly events: EventStore,
  ) {}

  /**
   * The newest events, optionally of one type and of streams starting with a prefix. A filter
   * searches the newest `window` events only: no index serves a type or a prefix, and the event
   * log polls every 2 s, so a filter nothing matches would otherwise walk the whole hot table
   * on every poll (170–570 ms at a million events; 32–40 ms within the window). The filters are
   * on the envelope (type, stream), which upcasting never changes.
   */
  async recentEvents(
    filter: EventLogFilter,
    limit: number,
    window: number = EVENT_SEARCH_WINDOW,
  ): Promise<StoredEvent[]> {
    const { events, eventsArchive } = this.scope.tables;
    const where: SQL[] = [sql`true`];
    if (filter.type) where.push(sql`event_type = ${filter.type}`);
    if (filter.stream) where.push(sql`stream_id like ${`${filter.stream.replace(/[\\%_]/g, '\\$&')}%`}`);
    const filtered = where.length > 1;
    if (filter.before === undefined) {
      if (filtered)
        where.push(
          sql`sequence > (select coalesce(max(m.sequence), 0) from ${events} m) - ${window}::bigint`,
        );
      const rows = await this.scope.rows<EventRow>(sql`
        select ${EVENT_ROW_COLUMNS} from ${events}
        where ${sql.join(where, sql` and `)} order by sequence desc limit ${limit}`);
      return rows.map((r) => this.events.toStored(r));
    }
    // Paging back: the hot table and the archive below a sequence, each read down its sequence
    // key; a filter searches the `window` events below the page's start, as on the first page.
    where.push(sql`sequence < ${filter.before}::bigint`);
    if (filtered) where.push(sql`sequence >= ${filter.before}::bigint - ${window}::bigint`);
    const below = sql.join(where, sql` and `);
    const rows = await this.scope.rows<EventRow>(sql`
      (select ${EVENT_ROW_COLUMNS} from ${events} where ${below} order by sequence desc limit ${limit})
      union all
      (select ${EVENT_ROW_COLUMNS} from ${eventsArchive} where ${below} order by sequence desc limit ${limit})
      order by sequence desc limit ${limit}`);
    return rows.map((r) => this.events.toStored(r));
  }
}
