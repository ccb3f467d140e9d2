import type { EventType } from '@genledger/core/contracts/events';
import { type Placeholder, type SQL, sql } from 'drizzle-orm';
import type { Database } from './connect.ts';
import { type AppendOptions, EventAppend } from './event-store/append.ts';
import {
  EventAppender,
  type JoinedEvent,
  type JoinedValues,
  type NewEvent,
} from './event-store/append-statement.ts';
import { type ArchiveOptions, archiveEvents } from './event-store/archive.ts';
import type { EventRow, EventTables } from './event-store/event-row.ts';
import { positionOf, START, visibleHead } from './event-store/positions.ts';
import { chunkEnd, feedBetween, feedRows } from './event-store/read-feed.ts';
import { readStream } from './event-store/read-stream.ts';
import { replayFrom } from './event-store/replay.ts';
import type { Position, StoredEvent } from './event-store/stored-event.ts';
import { EventDecoder, type Upcasters } from './event-store/upcasting.ts';
import type { Executor } from './executor.ts';
import { tablesFor } from './schema/tables.ts';

export type { AppendOptions } from './event-store/append.ts';
export type { JoinedEvent, JoinedValues, NewEvent, PreparedEvent } from './event-store/append-statement.ts';
export { fromRow } from './event-store/append-statement.ts';
export type { EventRow } from './event-store/event-row.ts';
/** The columns of an EventRow, for a read model that selects events itself and hands them to `toStored`. */
export { COLUMNS as EVENT_ROW_COLUMNS } from './event-store/event-row.ts';
export { START } from './event-store/positions.ts';
export type { Position, StoredEvent } from './event-store/stored-event.ts';
export type { Upcaster, Upcasters } from './event-store/upcasting.ts';

/**
 * The event store: one append path (`event-store/append-statement.ts`) that stores' own writes
 * join as a CTE, the feed read by opaque positions, and the archive. Each operation lives in its
 * own file under `event-store/`; this class holds what they share (the tables of its schema, the
 * upcasters) and hands each call to its operation.
 */
export class EventStore {
  private readonly tables: EventTables;
  private readonly decoder: EventDecoder;
  private readonly appender: EventAppender;
  private readonly append: EventAppend;

  constructor(
    private readonly database: Pick<Database, 'db' | 'schema'>,
    options: { upcasters?: Upcasters; versions?: Partial<Record<EventType, number>> } = {},
  ) {
    const tables = tablesFor(database.schema);
    this.tables = { events: tables.events, archive: tables.eventsArchive, checkpoints: tables.checkpoints };
    this.decoder = new EventDecoder(options.upcasters, options.versions);
    this.appender = new EventAppender(
      this.tables.events,
      this.tables.archive,
      this.decoder.currentVersions,
      sql.raw(`"${database.schema}"."stream_heads_locked"`),
    );
    this.append = new EventAppend(this.appender, database.db);
  }

  /**
   * A CTE body appending `events` in the caller's statement, only when the CTE `when` produced a
   * row: a store's state change and its events in one statement, validated like `appendAll`.
   */
  appendWhen(when: string, events: readonly NewEvent[]): SQL {
    return this.appender.rows(this.when.values(events), { when });
  }

  /**
   * `appendWhen` for a statement compiled once (`fixedStatement`): `sqlFor` writes the CTE body with
   * a placeholder where the events go, `values` validates them and gives what it binds.
   */
  readonly when = {
    sqlFor: (when: string, events: Placeholder | string): SQL => this.appender.rows(events, { when }),
    values: (events: readonly NewEvent[]): string => JSON.stringify(this.appender.prepare(events)),
  };

  /**
   * A CTE body appending one event for every row of the CTE `from` (bulk status changes, or an
   * event whose payload holds columns only the statement knows, such as the attempt number).
   */
  appendForEach(from: string, event: JoinedEvent): SQL {
    return this.appender.joinedSql(from, event, this.appender.joinedValues(event));
  }

  /** `appendForEach` for several events of the one row of `from`, appended in their order. */
  appendSeriesFor(from: string, events: readonly JoinedEvent[]): SQL {
    return this.appender.joinedSeriesSql(
      from,
      events.map((event) => ({ event, values: this.appender.joinedValues(event) })),
    );
  }

  /**
   * `appendForEach` for a statement compiled once (`fixedStatement`): `sqlFor` writes the CTE body
   * for an event's `shape` with placeholders where the values go, and `values` validates the known
   * part of each event and gives those values.
   */
  readonly joined = {
    shape: (event: JoinedEvent): JoinedEvent => this.appender.joinedShape(event),
    values: (event: JoinedEvent): JoinedValues => this.appender.joinedValues(event),
    sqlFor: (
      from: string,
      event: JoinedEvent,
      slots: { [K in keyof JoinedValues]: Placeholder | string },
    ): SQL => this.appender.joinedSql(from, event, slots),
  };

  /**
   * Appends events in one statement (atomic on its own, or part of `options.tx`) and returns them
   * with their sequences. Every event is validated first: one bad payload and nothing is written.
   */
  appendAll(events: readonly NewEvent[], options: AppendOptions = {}): Promise<StoredEvent[]> {
    return this.append.appendAll(events, options);
  }

  /** Moves old events to `events_archive` (event-store/archive.ts says when and how). */
  archive(options: ArchiveOptions): Promise<{ moved: number }> {
    return archiveEvents(this.database.db, this.tables, options);
  }

  /** One stream in version order. */
  readStream(streamId: string, options: { tx?: Executor } = {}): Promise<StoredEvent[]> {
    return readStream(options.tx ?? this.database.db, this.tables, this.decoder, streamId);
  }

  /**
   * The next page of the global feed after `after`. Only events whose transaction is older than
   * every transaction still running are returned: anything that could still commit "behind" the
   * page is held back until it can no longer appear, so a tailing reader never skips an event.
   */
  async readAfter(after: Position, limit: number, options: { tx?: Executor } = {}): Promise<StoredEvent[]> {
    return (await this.feedRows(after, limit, options.tx)).map((r) => this.decoder.toStored(r));
  }

  private feedRows(after: Position, limit: number, tx?: Executor): Promise<EventRow[]> {
    return feedRows(tx ?? this.database.db, this.tables, after, limit);
  }

  /** The feed position of a stored sequence number (0: the start), wherever its event lives now. */
  positionOf(sequence: number): Promise<Position> {
    return positionOf(this.database.db, this.tables, sequence);
  }

  /** Every event after a position (or after an event's sequence number), a page at a time. */
  replayFrom(after: Position | number, pageSize = 1000): AsyncIterableIterator<StoredEvent> {
    const feed = {
      feedRows: (from: Position, limit: number) => this.feedRows(from, limit),
      positionOf: (sequence: number) => this.positionOf(sequence),
    };
    return replayFrom(feed, this.decoder, after, pageSize);
  }

  replayAll(pageSize = 1000): AsyncIterableIterator<StoredEvent> {
    return this.replayFrom(START, pageSize);
  }

  /** The feed's last position a reader may pass now, or undefined for an empty feed. */
  visibleHead(options: { tx?: Executor } = {}): Promise<Position | undefined> {
    return visibleHead(options.tx ?? this.database.db, this.tables);
  }

  /** Events after `after` up to `upTo` as a relation, for a fold in the database (no upcasting). */
  feedBetween(after: Position, upTo: Position): SQL {
    return feedBetween(this.tables, after, upTo);
  }

  /** Where the next `limit` events after `after` (none past `upTo`) end; undefined when none is left. */
  chunkEnd(
    after: Position,
    upTo: Position,
    limit: number,
    options: { tx?: Executor } = {},
  ): Promise<Position | undefined> {
    return chunkEnd(options.tx ?? this.database.db, this.tables, after, upTo, limit);
  }

  /** A row a read model selected (`EVENT_ROW_COLUMNS`) as a StoredEvent, upcast as every read is. */
  toStored(row: EventRow): StoredEvent {
    return this.decoder.toStored(row);
  }

  /** True when every event of these types is stored at the given version and read as stored. */
  storesAsRead(versions: Readonly<Record<string, number>>): boolean {
    return this.decoder.storesAsRead(versions);
  }
}
