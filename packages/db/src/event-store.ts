import { type DomainEvent, EVENT_VERSIONS, type EventType } from '@genledger/core/contracts/events';
import { AppError, conflict, notFound } from '@genledger/core/errors';
import { type Placeholder, type SQL, sql } from 'drizzle-orm';
import type { Database } from './connect.ts';
import {
  EventAppender,
  type JoinedEvent,
  type JoinedValues,
  type NewEvent,
  type PreparedEvent,
} from './event-append.ts';
import { type Executor, executePrepared, fixedStatement, rowsOf, toNumber } from './executor.ts';
import { isUniqueViolation, pgError } from './pg-errors.ts';
import { tablesFor } from './schema/tables.ts';

import { FeedEvent, type Position, type StoredEvent } from './stored-event.ts';

export type { Position, StoredEvent } from './stored-event.ts';
export const START: Position = { txId: '0', sequence: 0 };

export type { JoinedEvent, JoinedValues, NewEvent, PreparedEvent } from './event-append.ts';
export { fromRow } from './event-append.ts';

/** Turns a payload written at `version` into the next version's shape. */
export type Upcaster = (payload: Record<string, unknown>) => Record<string, unknown>;
export type Upcasters = Partial<Record<EventType, Record<number, Upcaster>>>;

export interface AppendOptions {
  /** The stream's current version (0 for a new stream); a mismatch is a conflict, never a fork. */
  expectedVersion?: number;
  /** Run inside the caller's transaction, so the state change and its event commit together. */
  tx?: Executor;
}

/**
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
 * replay's time against a plain SELECT); truncated to the millisecond first, the float lies within
 * rounding of a whole number, which `toStored` rounds to.
 */
const STORED_AT_MS = "date_part('epoch', date_trunc('milliseconds', stored_at)) * 1000 as stored_at";
const COLUMNS = sql.raw(
  `sequence, stream_id, stream_version, event_type, event_version, payload, metadata, tx_id::text as tx_text, ${STORED_AT_MS}`,
);

/** The columns of an EventRow, for a read model that selects events itself and hands them to `toStored`. */
export { COLUMNS as EVENT_ROW_COLUMNS };

/** COLUMNS as named in a union of both tables; its raw `tx_id` orders it, and is not sent. */
const FEED_COLUMNS = sql.raw(
  'sequence, stream_id, stream_version, event_type, event_version, payload, metadata, tx_text, stored_at',
);

/**
 * Streams this process recently lost an append race on. Appends to them skip the optimistic try
 * (which would likely lose again and cost a round trip) for a few seconds. Bounded: when full,
 * the oldest entries go first.
 */
class ContendedStreams {
  private readonly until = new Map<string, number>();
  constructor(
    private readonly holdMs = 5000,
    private readonly max = 1000,
  ) {}

  isHot(rows: readonly PreparedEvent[], now: number): boolean {
    if (this.until.size === 0) return false;
    for (const r of rows) {
      const t = this.until.get(r.stream_id);
      if (t === undefined) continue;
      if (t > now) return true;
      this.until.delete(r.stream_id);
    }
    return false;
  }

  mark(rows: readonly PreparedEvent[], now: number): void {
    for (const r of rows) {
      this.until.delete(r.stream_id);
      this.until.set(r.stream_id, now + this.holdMs);
      if (this.until.size > this.max) this.until.delete(this.until.keys().next().value!);
    }
  }
}

export class EventStore {
  private readonly table;
  private readonly archiveTable;
  private readonly checkpointsTable;
  private readonly contended = new ContendedStreams();
  private readonly upcasters: Upcasters;
  private readonly currentVersions: Record<string, number>;
  private readonly appender: EventAppender;

  constructor(
    private readonly database: Pick<Database, 'db' | 'schema'>,
    options: { upcasters?: Upcasters; versions?: Partial<Record<EventType, number>> } = {},
  ) {
    const tables = tablesFor(database.schema);
    this.table = tables.events;
    this.archiveTable = tables.eventsArchive;
    this.checkpointsTable = tables.checkpoints;
    this.upcasters = options.upcasters ?? {};
    this.currentVersions = { ...EVENT_VERSIONS, ...options.versions };
    this.appender = new EventAppender(
      this.table,
      this.archiveTable,
      this.currentVersions,
      sql.raw(`"${database.schema}"."stream_heads_locked"`),
    );
  }

  /**
   * A CTE body appending `events` in the caller's statement, only when the CTE `when` produced a
   * row: a store's state change and its events in one statement, validated like `appendAll`.
   */
  appendWhen(when: string, events: readonly NewEvent[]): SQL {
    return this.appender.rows(JSON.stringify(this.appender.prepare(events)), { when });
  }

  /**
   * A CTE body appending one event for every row of the CTE `from` (bulk status changes, or an
   * event whose payload holds columns only the statement knows, such as the attempt number).
   */
  appendForEach(from: string, event: JoinedEvent): SQL {
    return this.appender.joinedSql(from, event, this.appender.joinedValues(event));
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

  /** What an append returns: only what the database assigned, the rest is in hand. */
  private static readonly RETURNING = sql.raw(
    `returning sequence, stream_id, stream_version, tx_id::text as tx_text, ${STORED_AT_MS}`,
  );
  private readonly appendOptimistic = fixedStatement<{ rowsJson: string }>(
    'gl_append',
    (v) => sql`${this.appender.rows(v.rowsJson)} ${EventStore.RETURNING}`,
  );
  private readonly appendExpecting = fixedStatement<{ rowsJson: string; expectedVersion: number }>(
    'gl_append',
    (v) =>
      sql`${this.appender.rows(v.rowsJson, { expectedVersion: v.expectedVersion })} ${EventStore.RETURNING}`,
  );
  private readonly appendSerialised = fixedStatement<{ rowsJson: string }>(
    'gl_append_locked',
    (v) => sql`${this.appender.serialisedRows(v.rowsJson)} ${EventStore.RETURNING}`,
  );

  /**
   * Appends events in one statement (atomic on its own, or part of `options.tx`) and returns them
   * with their sequences. Every event is validated first: one bad payload and nothing is written.
   */
  async appendAll(events: readonly NewEvent[], options: AppendOptions = {}): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    const rows = this.appender.prepare(events);
    const { expectedVersion } = options;
    if (expectedVersion !== undefined && new Set(rows.map((r) => r.stream_id)).size !== 1) {
      throw new AppError('validation', 'expectedVersion needs every event in one stream');
    }
    const executor = options.tx ?? this.database.db;
    // Without an expected version an append must not fail because another writer got there first.
    // It tries the optimistic statement (one index probe per row, the cheapest) and, once it has
    // lost a race, the serialising one, as often as it takes; a stream that lost a race recently
    // goes straight to the serialising one. Inside a caller's transaction a lost race cannot be
    // retried (the transaction is aborted), so it serialises from the start.
    let serialise =
      expectedVersion === undefined && (options.tx !== undefined || this.contended.isHot(rows, Date.now()));
    for (;;) {
      try {
        type Inserted = Pick<EventRow, 'sequence' | 'stream_id' | 'stream_version' | 'tx_text' | 'stored_at'>;
        const rowsJson = JSON.stringify(rows);
        const inserted = serialise
          ? await this.appendSerialised<Inserted>(executor, { rowsJson })
          : expectedVersion === undefined
            ? await this.appendOptimistic<Inserted>(executor, { rowsJson })
            : await this.appendExpecting<Inserted>(executor, { rowsJson, expectedVersion });
        if (inserted.length === 0) {
          throw conflict(`stream ${rows[0]!.stream_id} is not at expected version ${expectedVersion}`);
        }
        // Rows are inserted in input order, so sequences ascend with it; the payloads are already
        // in hand, so only what the database assigned comes back over the wire.
        inserted.sort((a, b) => toNumber(a.sequence) - toNumber(b.sequence));
        // The events are the validated ones, at the current payload version: nothing to upcast.
        return inserted.map((r, i) => {
          const input = rows[i]!;
          if (input.stream_id !== r.stream_id) throw new Error('appendAll: returned rows out of input order');
          return new FeedEvent(
            toNumber(r.sequence),
            r.tx_text,
            r.stream_id,
            toNumber(r.stream_version),
            input.event.type,
            input.event_version,
            input.event,
            input.metadata,
            Math.round(Number(r.stored_at)),
          );
        });
      } catch (e) {
        // Another writer took the same stream version first; or two optimistic batches over the
        // same streams in opposite orders waited on each other's index entries and Postgres
        // broke the deadlock. With an expected version that is a conflict for the caller, and so
        // it is inside a caller's (now aborted) transaction; otherwise the serialising statement,
        // which locks streams in one global order, takes over.
        if (!isUniqueViolation(e, 'events_stream_version_uq') && pgError(e)?.code !== '40P01') throw e;
        if (expectedVersion !== undefined || options.tx) {
          throw conflict(`concurrent write to stream ${rows[0]!.stream_id}`);
        }
        serialise = true;
        this.contended.mark(rows, Date.now());
      }
    }
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
  async archive(options: {
    olderThan: Date;
    chunk?: number;
    maxChunks?: number;
  }): Promise<{ moved: number }> {
    const chunk = options.chunk ?? 10_000;
    const [horizon] = await rowsOf<{ tx_id: string; sequence: unknown }>(
      this.database.db.execute(
        sql`select tx_id::text as tx_id, sequence from ${this.checkpointsTable} order by tx_id, sequence limit 1`,
      ),
    );
    const passed = horizon
      ? sql`(w.tx_id, w.sequence) <= (${horizon.tx_id}::xid8, ${toNumber(horizon.sequence)}::bigint)`
      : sql`true`;
    const [resume] = await rowsOf<{ sequence: unknown }>(
      this.database.db.execute(sql`select coalesce(max(sequence), 0) as sequence from ${this.archiveTable}`),
    );
    let last = toNumber(resume?.sequence ?? 0);
    let moved = 0;
    for (let n = 0; n < (options.maxChunks ?? Number.POSITIVE_INFINITY); n++) {
      const [row] = await rowsOf<{ moved: unknown; scanned: unknown; upto: unknown; stop: boolean }>(
        this.database.db.execute(sql`
          with w as materialized (
            select x.sequence, x.stream_id, x.stream_version, x.tx_id,
                   x.stored_at < ${options.olderThan.toISOString()}::timestamptz as old
            from ${this.table} x where x.sequence > ${last}::bigint order by x.sequence limit ${chunk}
          ), c as (
            select w.*, w.old and ${passed} and w.tx_id < pg_snapshot_xmin(pg_current_snapshot()) as ready
            from w
          ), m as (
            delete from ${this.table} e
            where e.sequence in (select c.sequence from c where c.ready)
            returning e.*
          ), a as (
            -- In sequence order: the archive's pages then hold a stream's and the feed's
            -- neighbours together, as the hot table's did.
            insert into ${this.archiveTable}
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

  /** One stream in version order. Versions are gap-free, so no visibility horizon is needed here. */
  async readStream(streamId: string, options: { tx?: Executor } = {}): Promise<StoredEvent[]> {
    const rows = await rowsOf<EventRow>(
      (options.tx ?? this.database.db).execute(
        sql`select ${COLUMNS} from ${this.archiveTable} where stream_id = ${streamId}
            union all
            select ${COLUMNS} from ${this.table} where stream_id = ${streamId}
            order by stream_version`,
      ),
    );
    return rows.map((r) => this.toStored(r));
  }

  /**
   * The next page of the global feed after `after`. Only events whose transaction is older than
   * every transaction still running are returned: anything that could still commit "behind" the
   * page is held back until it can no longer appear, so a tailing reader never skips an event.
   */
  async readAfter(after: Position, limit: number, options: { tx?: Executor } = {}): Promise<StoredEvent[]> {
    return (await this.feedRows(after, limit, options.tx)).map((r) => this.toStored(r));
  }

  /** `readAfter`'s rows as the driver hands them. */
  private feedRows(after: Position, limit: number, tx?: Executor): Promise<EventRow[]> {
    return executePrepared<EventRow>(
      tx ?? this.database.db,
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
          select ${COLUMNS}, tx_id from ${this.archiveTable}
          where (tx_id, sequence) > (${after.txId}::xid8, ${after.sequence}::bigint)
          order by tx_id, sequence limit ${limit}
        ), b as (
          select tx_id, sequence from a order by tx_id desc, sequence desc limit 1
        )
        select ${FEED_COLUMNS} from (
          (select * from a)
          union all
          (select ${COLUMNS}, tx_id from ${this.table}
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
   * The feed position of a stored sequence number (0: the start), wherever its event lives now: a
   * reader's place may be an event the archive has moved since it was handed out. A sequence no
   * event has is no place in the feed: not-found, never the start, which would hand a reader that
   * passes it everything again (and a reader paging with `next` the same first page forever).
   */
  async positionOf(sequence: number): Promise<Position> {
    if (sequence <= 0) return START;
    const [row] = await rowsOf<{ tx_id: string }>(
      this.database.db.execute(
        sql`(select tx_id::text as tx_id from ${this.table} where sequence = ${sequence})
            union all
            (select tx_id::text as tx_id from ${this.archiveTable} where sequence = ${sequence})
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
   * Every event after a position (or after an event's sequence number), a page at a time: memory stays
   * flat. Written as an iterator rather than an async generator, whose every yield is one more
   * await: over a million events that alone is a third of a second.
   */
  replayFrom(after: Position | number, pageSize = 1000): AsyncIterableIterator<StoredEvent> {
    let position: Position | undefined = typeof after === 'number' ? undefined : after;
    // The page stays as the driver's rows; each becomes a StoredEvent only as it is handed out.
    // What a page holds lives through the next page's read, long enough for V8 to copy it and
    // promote it to the old generation: rows alone are half of what rows and events were, and
    // the events die young (bench: event-store, replay).
    let page: EventRow[] = [];
    let index = 0;
    let finished = false;
    const done: IteratorReturnResult<undefined> = { value: undefined, done: true };
    const nextPage = async (): Promise<IteratorResult<StoredEvent, undefined>> => {
      if (finished) return done;
      page = [];
      position ??= await this.positionOf(after as number);
      page = await this.feedRows(position, pageSize);
      index = 0;
      finished = page.length < pageSize;
      if (page.length === 0) return done;
      const last = page[page.length - 1]!;
      position = { txId: last.tx_text, sequence: toNumber(last.sequence) };
      return { value: this.toStored(page[index++]!), done: false };
    };
    const iterator: AsyncIterableIterator<StoredEvent> = {
      // Within a page, an already-resolved promise: no async function frame per event.
      next: () =>
        index < page.length
          ? Promise.resolve({ value: this.toStored(page[index++]!), done: false })
          : nextPage(),
      return: async () => {
        finished = true;
        page = [];
        return done;
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  replayAll(pageSize = 1000): AsyncIterableIterator<StoredEvent> {
    return this.replayFrom(START, pageSize);
  }

  /**
   * The feed's last position a reader may pass now (every event at or before it is committed and
   * final: its transaction is older than every running one), or undefined for an empty feed.
   */
  async visibleHead(options: { tx?: Executor } = {}): Promise<Position | undefined> {
    const [row] = await rowsOf<{ tx_text: string; sequence: unknown }>(
      (options.tx ?? this.database.db).execute(sql`
        select tx_id::text as tx_text, sequence from (
          (select tx_id, sequence from ${this.table} where tx_id < pg_snapshot_xmin(pg_current_snapshot())
           order by tx_id desc, sequence desc limit 1)
          union all
          (select tx_id, sequence from ${this.archiveTable} order by tx_id desc, sequence desc limit 1)
        ) head order by tx_id desc, sequence desc limit 1`),
    );
    return row ? { txId: row.tx_text, sequence: toNumber(row.sequence) } : undefined;
  }

  /**
   * Every event up to `head` as a relation of (event_type, event_version, payload, stored_at), for
   * a fold that runs in the database — only for event types whose stored payloads are what a
   * reader gets (see `storesAsRead`): nothing here upcasts.
   */
  feedUpTo(head: Position): SQL {
    const upTo = sql`(tx_id, sequence) <= (${head.txId}::xid8, ${head.sequence}::bigint)`;
    return sql`(select event_type, event_version, payload, stored_at from ${this.archiveTable} where ${upTo}
                union all
                select event_type, event_version, payload, stored_at from ${this.table} where ${upTo})`;
  }

  /**
   * True when every event of these types is stored at the given version and read as stored: the
   * store's current version is that one and no upcaster is registered for the type.
   */
  storesAsRead(versions: Readonly<Record<string, number>>): boolean {
    return Object.entries(versions).every(
      ([type, version]) =>
        (this.currentVersions[type] ?? 1) === version &&
        Object.keys(this.upcasters[type as EventType] ?? {}).length === 0,
    );
  }

  /**
   * A row of `events` or `events_archive` (EVENT_ROW_COLUMNS) as readers get it, upcast to its
   * type's current version. Public for the read models that select rows themselves (the console's
   * event log and retry receipts): whatever selects an event, it is read through here.
   */
  toStored(r: EventRow): StoredEvent {
    const version = toNumber(r.event_version);
    const type = r.event_type as EventType;
    let payload = r.payload;
    const current = this.currentVersions[type] ?? 1;
    for (let v = version; v < current; v++) {
      const up = this.upcasters[type]?.[v];
      if (!up) throw new AppError('unavailable', `no upcaster for ${type} v${v} → v${v + 1}`);
      payload = up(payload);
    }
    return new FeedEvent(
      toNumber(r.sequence),
      r.tx_text,
      r.stream_id,
      toNumber(r.stream_version),
      type,
      version,
      // Validated on the way in; re-parsing every row on replay would cost more than the read.
      { type, ...payload } as DomainEvent,
      r.metadata ?? {},
      Math.round(Number(r.stored_at)),
    );
  }
}
