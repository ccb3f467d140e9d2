import {
  DomainEvent,
  type EventOf,
  type EventType,
  STREAM_PREFIXES,
  type StreamKind,
} from '@genledger/core/contracts/events';
import { AppError, fieldErrorsFromZod } from '@genledger/core/errors';
import { type Placeholder, type SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type * as z from 'zod';
import { MAX_STREAM_ID_LENGTH } from '../schema/limits.ts';

/**
 * The append statement, the one way rows reach the events table. `EventStore.appendAll` runs it on
 * its own; stores that change state in one statement embed it as a CTE, so the change and its
 * event commit together and obey the same rules: every payload validated against the event union,
 * the payload version from `EVENT_VERSIONS`, stream ids from one prefix table, versions numbered
 * from the stream's head.
 */

/** A field whose value is a column of the row the statement writes (`g.model`), not known before. */
export class RowValue {
  readonly expression: SQL;
  constructor(readonly column: string) {
    this.expression = sql.raw(column);
  }
}
/** `column` is a qualified column of the statement's own CTE, written in code, never user input. */
export const fromRow = (column: string): RowValue => new RowValue(column);

type Bound<E> = { [K in keyof E]: K extends 'type' ? E[K] : E[K] | RowValue };
/** An event whose fields are values, or columns of the row it is appended for. */
type RowBoundEvent = { [T in EventType]: Bound<EventOf<T>> }[EventType];

export interface NewEvent {
  streamId: string;
  event: DomainEvent;
  metadata?: Record<string, unknown>;
}

/** One event per row of a CTE: the stream is a literal id, or a kind and the row's id column. */
export interface JoinedEvent {
  stream: string | { kind: StreamKind; id: RowValue };
  event: RowBoundEvent;
  /** Values, or columns of the row (the key a gated statement found: `fromRow('g.api_key_id')`). */
  metadata?: Record<string, unknown>;
}

/** The known part of a joined event as the statement binds it: JSON texts, the literal stream id. */
export interface JoinedValues {
  payload: string;
  metadata: string;
  /** The stream id when it is a literal; empty when the row's id column names it. */
  stream: string;
}

export interface PreparedEvent {
  ord: number;
  /** Its place among the batch's events of the same stream, from 1: its version over the head. */
  n: number;
  stream_id: string;
  event_version: number;
  /**
   * The validated event, `type` included: the statement stores it without `type` (`event - 'type'`)
   * and the append hands this same object back, so no copy of it is made on either side.
   */
  event: DomainEvent;
  metadata: Record<string, unknown>;
}

/** A field or metadata key a statement may merge in by name. */
const PLAIN_NAME = /^[A-Za-z]+$/;

const COLUMNS = sql.raw('(stream_id, stream_version, event_type, event_version, payload, metadata)');

type EventSchema = z.ZodObject<z.ZodRawShape>;
const schemas = new Map<string, EventSchema>(
  (DomainEvent.options as unknown as EventSchema[]).map((o) => [
    String((o.shape.type as unknown as { value: string }).value),
    o,
  ]),
);

/**
 * The event's schema without `type` (it chose the schema) and the fields bound to row columns,
 * built once per combination: zod compiles a fast path for every new object schema, so an `omit`
 * per append cost ≈ 100 µs. Keyed by schema, then by the bound fields' names (usually none or one).
 */
const partials = new WeakMap<EventSchema, Map<string, EventSchema>>();
function partialSchema(schema: EventSchema, bound: readonly [string, SQL][]): EventSchema {
  let byBound = partials.get(schema);
  if (!byBound) {
    byBound = new Map();
    partials.set(schema, byBound);
  }
  const cacheKey =
    bound.length === 0 ? '' : bound.length === 1 ? bound[0]![0] : bound.map(([k]) => k).join(',');
  let partial = byBound.get(cacheKey);
  if (!partial) {
    const omitted: Record<string, true> = { type: true };
    for (const [k] of bound) omitted[k] = true;
    partial = schema.omit(omitted) as EventSchema;
    byBound.set(cacheKey, partial);
  }
  return partial;
}

function invalid(ord: number, type: unknown, issues: z.core.$ZodIssue[]): AppError {
  return new AppError('validation', `event ${ord} (${String(type)}) is invalid`, {
    fieldErrors: fieldErrorsFromZod(issues),
  });
}

function checkStream(streamId: string, ord: number) {
  if (!streamId || streamId.length > MAX_STREAM_ID_LENGTH)
    throw new AppError('validation', `event ${ord}: bad stream id`);
}

/** Prepared rows as the statement reads them: their JSON array (`rowsJson`) as a record set `x`. */
const recordset = (rowsJson: string | Placeholder): SQL =>
  sql`jsonb_to_recordset(${rowsJson}::jsonb)
        as x(ord int, n int, stream_id text, event_version int, event jsonb, metadata jsonb)`;

/** A JSON object of known values (its text), with the row's columns merged in by the statement. */
function mergeRow(knownJson: string | Placeholder, bound: readonly [string, SQL][]): SQL {
  const literal = sql`${knownJson}::jsonb`;
  if (!bound.length) return literal;
  return sql`${literal} || jsonb_build_object(${sql.join(
    bound.map(([k, v]) => sql`${sql.raw(`'${k}'`)}, ${v}`),
    sql`, `,
  )})`;
}

export class EventAppender {
  constructor(
    private readonly table: PgTable,
    /** `events_archive`: a stream's head may have moved there (`EventStore.archive`). */
    private readonly archiveTable: PgTable,
    private readonly versions: Record<string, number>,
    /** `stream_heads_locked` of migrations 0001 and 0006, schema-qualified. */
    private readonly headsLocked: SQL,
  ) {}

  /**
   * Validates events and shapes them as rows: one bad payload and nothing is written. Each row is
   * numbered within its stream here, so the statement adds the head to `n` instead of running a
   * window function over the batch (which cost a sort per statement).
   */
  prepare(events: readonly NewEvent[]): PreparedEvent[] {
    const counts = new Map<string, number>();
    return events.map((e, ord) => {
      const parsed = DomainEvent.safeParse(e.event);
      if (!parsed.success) throw invalid(ord, (e.event as { type?: unknown }).type, parsed.error.issues);
      checkStream(e.streamId, ord);
      const n = (counts.get(e.streamId) ?? 0) + 1;
      counts.set(e.streamId, n);
      return {
        ord,
        n,
        stream_id: e.streamId,
        event_version: this.versions[parsed.data.type] ?? 1,
        event: parsed.data,
        metadata: e.metadata ?? {},
      };
    });
  }

  /** The head version of the stream named by `stream` (an SQL expression), 0 when it is new. */
  head(stream: SQL): SQL {
    // The top of the (stream_id, stream_version) index, read as a LIMIT 1 subquery: the planner
    // turns max() into the same index descent wrapped in an InitPlan, which costs ≈ 5 µs more per
    // row (EXPLAIN ANALYZE, batches of 10: 0.20 against 0.25 ms per statement). Both tables: the
    // archive moves old events, heads included (since migration 0006), and a stream whose head it
    // left in `events` before may have later versions there or in the archive; the greater of the
    // two is the head either way (one more index descent per row, into an archive whose upper
    // levels stay cached).
    const top = (table: PgTable) =>
      sql`(select e.stream_version from ${table} e where e.stream_id = ${stream}
           order by e.stream_version desc limit 1)`;
    return sql`greatest(coalesce(${top(this.table)}, 0), coalesce(${top(this.archiveTable)}, 0))`;
  }

  /**
   * Inserts prepared rows (`rowsJson`: their JSON array, or a placeholder for it), numbered from
   * each stream's head in batch order. With `when` (a CTE name) only if that CTE produced a row;
   * with `expectedVersion` only if the stream is there.
   */
  rows(
    rowsJson: string | Placeholder,
    options: { when?: string; expectedVersion?: number | Placeholder } = {},
  ): SQL {
    // The head is a correlated index probe per row rather than a CTE joined back: for the usual
    // batch of one to ten events that is a tenth less time in Postgres. No ORDER BY: the function
    // scan hands the array's rows straight to the insert, in order, so sequences follow the batch
    // (`appendAll` checks it). The sort was ≈ 0.02 ms of the 0.19 ms a batch of ten took on the server.
    const head = this.head(sql`x.stream_id`);
    const conditions = [
      options.when ? sql`exists (select 1 from ${sql.raw(options.when)})` : undefined,
      options.expectedVersion === undefined ? undefined : sql`${head} = ${options.expectedVersion}`,
    ].filter((c): c is SQL => c !== undefined);
    return sql`
      insert into ${this.table} ${COLUMNS}
      select x.stream_id, ${head} + x.n, x.event->>'type', x.event_version, x.event - 'type', x.metadata
      from ${recordset(rowsJson)}
      where ${conditions.length ? sql.join(conditions, sql` and `) : sql`true`}`;
  }

  /**
   * `rows` with the heads read under a transaction-scoped advisory lock per stream (migration
   * 0001): writers to one stream queue behind each other instead of racing, and each reads the
   * head its predecessor left. It costs 10–25 % more than `rows` over many streams, so
   * `appendAll` uses it only once a race was lost, or inside a caller's transaction.
   */
  serialisedRows(rowsJson: string | Placeholder): SQL {
    return sql`
      with x as (
        select * from ${recordset(rowsJson)}
      ), h as (
        select * from ${this.headsLocked}((select array_agg(x.stream_id) from x))
      )
      insert into ${this.table} ${COLUMNS}
      select x.stream_id, h.head + x.n,
             x.event->>'type', x.event_version, x.event - 'type', x.metadata
      from x join h on h.stream = x.stream_id
      order by x.ord`;
  }

  /**
   * What of a joined event is bound to row columns: the part of it a statement's text depends on.
   * `known` leaves out `type`, which chose the schema. Plain loops: this runs on every request that
   * appends a joined event.
   */
  private split(e: JoinedEvent) {
    const { type } = e.event;
    const schema = schemas.get(type);
    if (!schema) throw new AppError('validation', `event 0 (${String(type)}) is not a known event`);
    const event = e.event as Record<string, unknown>;
    const known: Record<string, unknown> = {};
    const bound: [string, SQL][] = [];
    for (const key in event) {
      const value = event[key];
      if (key === 'type') continue;
      if (!(value instanceof RowValue)) known[key] = value;
      else if (key in schema.shape && PLAIN_NAME.test(key)) bound.push([key, value.expression]);
      else throw new AppError('validation', `event 0 (${type}): ${key} is not a field of it`);
    }
    const metadataKnown: Record<string, unknown> = {};
    const metadataBound: [string, SQL][] = [];
    const metadata = e.metadata ?? {};
    for (const key in metadata) {
      const value = metadata[key];
      if (!(value instanceof RowValue)) metadataKnown[key] = value;
      else if (PLAIN_NAME.test(key)) metadataBound.push([key, value.expression]);
      else throw new AppError('validation', `event 0 (${type}): metadata key ${key} is not a plain name`);
    }
    return { type, schema, known, bound, metadataKnown, metadataBound };
  }

  /**
   * The known part of a joined event, validated now (the fields bound to row columns are typed by
   * their columns): what `joinedSql` binds, per call.
   */
  joinedValues(e: JoinedEvent): JoinedValues {
    const { type, schema, known, bound, metadataKnown } = this.split(e);
    const parsed = partialSchema(schema, bound).safeParse(known);
    if (!parsed.success) throw invalid(0, type, parsed.error.issues);
    if (typeof e.stream === 'string') checkStream(e.stream, 0);
    return {
      // Without `type`, as the events table stores a payload: zod's copy is written as it is.
      payload: JSON.stringify(parsed.data),
      metadata: JSON.stringify(metadataKnown),
      stream: typeof e.stream === 'string' ? e.stream : '',
    };
  }

  /**
   * `e` with only what a statement's text depends on: its type, stream kind and the fields bound to
   * columns. A statement compiled once (`fixedStatement`) is built from it, never from the values
   * of the event it first served.
   */
  joinedShape(e: JoinedEvent): JoinedEvent {
    const rowValues = (o: object) => Object.entries(o).filter(([, v]) => v instanceof RowValue);
    return {
      stream: typeof e.stream === 'string' ? '' : e.stream,
      event: { type: e.event.type, ...Object.fromEntries(rowValues(e.event)) } as RowBoundEvent,
      metadata: Object.fromEntries(rowValues(e.metadata ?? {})),
    };
  }

  /**
   * One event for every row of the CTE `from`: the known payload and metadata of `values` (from
   * `joinedValues`, or placeholders for them), with the fields bound to the row's columns merged in
   * SQL.
   */
  /**
   * Several events for the one row of the CTE `from`, in their order: consecutive versions and
   * sequences, each event's payload and metadata written as `joinedSql` writes one. For a change
   * that records more than one event at once (an attempt failed, and with it its generation).
   */
  joinedSeriesSql(from: string, events: readonly { event: JoinedEvent; values: JoinedValues }[]): SQL {
    const rows = events.map(({ event, values }, ord) => {
      const { type, bound, metadataBound } = this.split(event);
      return sql`select ${sql.raw(String(ord))} as ord, ${this.streamOf(event, values.stream)} as stream_id,
               ${type}::text as event_type, ${this.versions[type] ?? 1}::int as event_version,
               ${mergeRow(values.payload, bound)} as payload, ${mergeRow(values.metadata, metadataBound)} as metadata
             from ${sql.raw(from)}`;
    });
    return sql`
      insert into ${this.table} ${COLUMNS}
      select s.stream_id, ${this.head(sql`s.stream_id`)} + row_number() over (partition by s.stream_id order by s.ord),
             s.event_type, s.event_version, s.payload, s.metadata
      from (${sql.join(rows, sql` union all `)}) s
      order by s.ord`;
  }

  /** The stream of a joined event: its literal id (bound), or its kind's prefix and the row's id. */
  private streamOf(e: JoinedEvent, literal: string | Placeholder): SQL {
    return typeof e.stream === 'string'
      ? sql`${literal}::text`
      : sql`${STREAM_PREFIXES[e.stream.kind]}::text || (${e.stream.id.expression})::text`;
  }

  joinedSql(from: string, e: JoinedEvent, values: { [K in keyof JoinedValues]: string | Placeholder }): SQL {
    const { type, bound, metadataBound } = this.split(e);
    const stream = this.streamOf(e, values.stream);
    return sql`
      insert into ${this.table} ${COLUMNS}
      select s.stream_id, ${this.head(sql`s.stream_id`)} + row_number() over (partition by s.stream_id),
             ${type}, ${this.versions[type] ?? 1}::int, s.payload, s.metadata
      from (select ${stream} as stream_id, ${mergeRow(values.payload, bound)} as payload,
                   ${mergeRow(values.metadata, metadataBound)} as metadata
            from ${sql.raw(from)}) s`;
  }
}
