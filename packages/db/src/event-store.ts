import { DomainEvent, EVENT_VERSIONS, type EventType } from '@genledger/core/contracts/events';
import { AppError, conflict, fieldErrorsFromZod } from '@genledger/core/errors';
import { type SQL, sql } from 'drizzle-orm';
import type { Database } from './connect.ts';
import { type Executor, executePrepared, rowsOf, toDate, toNumber } from './executor.ts';
import { isUniqueViolation } from './pg-errors.ts';

/**
 * A place in the global feed. Events are ordered by (writing transaction, sequence), not by
 * sequence alone: a transaction that drew sequence 41 may commit after the one that drew 42.
 */
export interface Position {
  txId: string;
  sequence: number;
}
export const START: Position = { txId: '0', sequence: 0 };

export interface NewEvent {
  streamId: string;
  event: DomainEvent;
  metadata?: Record<string, unknown>;
}

export interface StoredEvent<E extends DomainEvent = DomainEvent> {
  sequence: number;
  position: Position;
  streamId: string;
  streamVersion: number;
  type: E['type'];
  /** Payload version as written; `event` is already upcast to the current shape. */
  version: number;
  event: E;
  metadata: Record<string, unknown>;
  storedAt: Date;
}

/** Turns a payload written at `version` into the next version's shape. */
export type Upcaster = (payload: Record<string, unknown>) => Record<string, unknown>;
export type Upcasters = Partial<Record<EventType, Record<number, Upcaster>>>;

export interface AppendOptions {
  /** The stream's current version (0 for a new stream); a mismatch is a conflict, never a fork. */
  expectedVersion?: number;
  /** Run inside the caller's transaction, so the state change and its event commit together. */
  tx?: Executor;
}

export interface PreparedEvent {
  ord: number;
  stream_id: string;
  event_type: EventType;
  event_version: number;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown>;
}

interface EventRow {
  sequence: unknown;
  stream_id: string;
  stream_version: unknown;
  event_type: string;
  event_version: unknown;
  payload: Record<string, unknown>;
  metadata: Record<string, unknown> | null;
  tx_text: string;
  stored_at: unknown;
}

const COLUMNS = sql.raw(
  'sequence, stream_id, stream_version, event_type, event_version, payload, metadata, tx_id::text as tx_text, stored_at',
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
  private readonly headsFunction;
  private readonly contended = new ContendedStreams();
  private readonly upcasters: Upcasters;
  private readonly currentVersions: Record<string, number>;

  constructor(
    private readonly database: Pick<Database, 'db' | 'schema'>,
    options: { upcasters?: Upcasters; versions?: Partial<Record<EventType, number>> } = {},
  ) {
    this.table = sql.raw(`"${database.schema}"."events"`);
    this.headsFunction = sql.raw(`"${database.schema}"."stream_heads_locked"`);
    this.upcasters = options.upcasters ?? {};
    this.currentVersions = { ...EVENT_VERSIONS, ...options.versions };
  }

  /**
   * Appends events in one statement (atomic on its own, or part of `options.tx`) and returns them
   * with their sequences. Every event is validated first: one bad payload and nothing is written.
   */
  /**
   * Validates an event and shapes it as a row. Stores that write a state change and its event in
   * one SQL statement (a CTE) use this so their events obey the same rules as `appendAll`.
   */
  prepare(e: NewEvent, ord = 0): PreparedEvent {
    const parsed = DomainEvent.safeParse(e.event);
    if (!parsed.success) {
      throw new AppError(
        'validation',
        `event ${ord} (${String((e.event as { type?: unknown }).type)}) is invalid`,
        {
          fieldErrors: fieldErrorsFromZod(parsed.error.issues),
        },
      );
    }
    if (!e.streamId || e.streamId.length > 200)
      throw new AppError('validation', `event ${ord}: bad stream id`);
    const { type, ...payload } = parsed.data;
    return {
      ord,
      stream_id: e.streamId,
      event_type: type,
      event_version: this.currentVersions[type] ?? 1,
      payload,
      metadata: e.metadata ?? {},
    };
  }

  /** The events table, schema-qualified, for stores that insert events inside their own statements. */
  get tableSql() {
    return this.table;
  }

  async appendAll(events: readonly NewEvent[], options: AppendOptions = {}): Promise<StoredEvent[]> {
    if (events.length === 0) return [];
    const rows = events.map((e, ord) => this.prepare(e, ord));
    const { expectedVersion } = options;
    if (expectedVersion !== undefined && new Set(rows.map((r) => r.stream_id)).size !== 1) {
      throw new AppError('validation', 'expectedVersion needs every event in one stream');
    }
    const json = JSON.stringify(rows);
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
        const inserted = await executePrepared<
          Pick<EventRow, 'sequence' | 'stream_id' | 'stream_version' | 'tx_text' | 'stored_at'>
        >(
          executor,
          serialise ? 'gl_append_locked' : 'gl_append',
          serialise ? this.serialisedAppend(json) : this.optimisticAppend(json, expectedVersion),
        );
        if (inserted.length === 0) {
          throw conflict(`stream ${rows[0]!.stream_id} is not at expected version ${expectedVersion}`);
        }
        // Rows are inserted in input order, so sequences ascend with it; the payloads are already
        // in hand, so only what the database assigned comes back over the wire.
        inserted.sort((a, b) => toNumber(a.sequence) - toNumber(b.sequence));
        return inserted.map((r, i) => {
          const input = rows[i]!;
          if (input.stream_id !== r.stream_id) throw new Error('appendAll: returned rows out of input order');
          return this.toStored({
            ...r,
            event_type: input.event_type,
            event_version: input.event_version,
            payload: input.payload,
            metadata: input.metadata,
          });
        });
      } catch (e) {
        if (!isUniqueViolation(e, 'events_stream_version_uq')) throw e;
        // Another writer took the same stream version first. With an expected version that is a
        // conflict for the caller, and so it is inside a caller's (now aborted) transaction.
        if (expectedVersion !== undefined || options.tx) {
          throw conflict(`concurrent write to stream ${rows[0]!.stream_id}`);
        }
        serialise = true;
        this.contended.mark(rows, Date.now());
      }
    }
  }

  /**
   * Each row's version is its stream's head plus its place in the batch; the head is a correlated
   * index probe per row (a tenth faster than a CTE joined back for batches of one to ten). Two
   * writers can read the same head: the unique index lets one win and the other finds out.
   */
  private optimisticAppend(json: string, expectedVersion: number | undefined): SQL {
    const head = sql`coalesce((select max(e.stream_version) from ${this.table} e where e.stream_id = x.stream_id), 0)`;
    return sql`
      insert into ${this.table} (stream_id, stream_version, event_type, event_version, payload, metadata)
      select x.stream_id, ${head} + row_number() over (partition by x.stream_id order by x.ord),
             x.event_type, x.event_version, x.payload, x.metadata
      from jsonb_to_recordset(${json}::jsonb)
        as x(ord int, stream_id text, event_type text, event_version int, payload jsonb, metadata jsonb)
      where ${expectedVersion === undefined ? sql`true` : sql`${head} = ${expectedVersion}`}
      order by x.ord
      returning sequence, stream_id, stream_version, tx_id::text as tx_text, stored_at`;
  }

  /**
   * The same insert with the heads read under a transaction-scoped advisory lock per stream
   * (migration 0001): writers to one stream queue behind each other instead of racing, and each
   * reads the head its predecessor left. It costs 10–25 % more than the optimistic statement over
   * many streams, so it is used only once a race was lost, or inside a caller's transaction.
   */
  private serialisedAppend(json: string): SQL {
    return sql`
      with x as (
        select * from jsonb_to_recordset(${json}::jsonb)
          as x(ord int, stream_id text, event_type text, event_version int, payload jsonb, metadata jsonb)
      ), h as (
        select * from ${this.headsFunction}((select array_agg(x.stream_id) from x))
      )
      insert into ${this.table} (stream_id, stream_version, event_type, event_version, payload, metadata)
      select x.stream_id, h.head + row_number() over (partition by x.stream_id order by x.ord),
             x.event_type, x.event_version, x.payload, x.metadata
      from x join h on h.stream = x.stream_id
      order by x.ord
      returning sequence, stream_id, stream_version, tx_id::text as tx_text, stored_at`;
  }

  /** One stream in version order. Versions are gap-free, so no visibility horizon is needed here. */
  async readStream(streamId: string, options: { tx?: Executor } = {}): Promise<StoredEvent[]> {
    const rows = await rowsOf<EventRow>(
      (options.tx ?? this.database.db).execute(
        sql`select ${COLUMNS} from ${this.table} where stream_id = ${streamId} order by stream_version`,
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
    const rows = await executePrepared<EventRow>(
      options.tx ?? this.database.db,
      'gl_read_after',
      sql`
        select ${COLUMNS} from ${this.table}
        where (tx_id, sequence) > (${after.txId}::xid8, ${after.sequence}::bigint)
          and tx_id < pg_snapshot_xmin(pg_current_snapshot())
        order by tx_id, sequence
        limit ${limit}`,
    );
    return rows.map((r) => this.toStored(r));
  }

  /** The feed position of a stored sequence number; before everything when it does not exist. */
  async positionOf(sequence: number): Promise<Position> {
    if (sequence <= 0) return START;
    const [row] = await rowsOf<{ tx_id: string }>(
      this.database.db.execute(
        sql`select tx_id::text as tx_id from ${this.table} where sequence = ${sequence}`,
      ),
    );
    return row ? { txId: row.tx_id, sequence } : START;
  }

  /**
   * Every event after a position (or after a sequence number), a page at a time: memory stays
   * flat. Written as an iterator rather than an async generator, whose every yield is one more
   * await: over a million events that alone is a third of a second.
   */
  replayFrom(after: Position | number, pageSize = 1000): AsyncIterableIterator<StoredEvent> {
    let position: Position | undefined = typeof after === 'number' ? undefined : after;
    let page: StoredEvent[] = [];
    let index = 0;
    let finished = false;
    const done: IteratorReturnResult<undefined> = { value: undefined, done: true };
    const iterator: AsyncIterableIterator<StoredEvent> = {
      next: async () => {
        if (index < page.length) return { value: page[index++]!, done: false };
        if (finished) return done;
        position ??= await this.positionOf(after as number);
        page = await this.readAfter(position, pageSize);
        index = 0;
        finished = page.length < pageSize;
        if (page.length === 0) return done;
        position = page[page.length - 1]!.position;
        return { value: page[index++]!, done: false };
      },
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

  private toStored(r: EventRow): StoredEvent {
    const version = toNumber(r.event_version);
    const type = r.event_type as EventType;
    let payload = r.payload;
    const current = this.currentVersions[type] ?? 1;
    for (let v = version; v < current; v++) {
      const up = this.upcasters[type]?.[v];
      if (!up) throw new AppError('unavailable', `no upcaster for ${type} v${v} → v${v + 1}`);
      payload = up(payload);
    }
    const sequence = toNumber(r.sequence);
    return {
      sequence,
      position: { txId: r.tx_text, sequence },
      streamId: r.stream_id,
      streamVersion: toNumber(r.stream_version),
      type,
      version,
      // Validated on the way in; re-parsing every row on replay would cost more than the read.
      event: { type, ...payload } as DomainEvent,
      metadata: r.metadata ?? {},
      storedAt: toDate(r.stored_at),
    };
  }
}
