import { AppError, conflict } from '@genledger/core/errors';
import { sql } from 'drizzle-orm';
import { type Executor, fixedStatement, toNumber } from '../executor.ts';
import { isUniqueViolation, pgError } from '../pg-errors.ts';
import type { EventAppender, NewEvent, PreparedEvent } from './append-statement.ts';
import { ContendedStreams } from './contended-streams.ts';
import { type EventRow, STORED_AT_MS } from './event-row.ts';
import { FeedEvent, type StoredEvent } from './stored-event.ts';

export interface AppendOptions {
  /** The stream's current version (0 for a new stream); a mismatch is a conflict, never a fork. */
  expectedVersion?: number;
  /** Run inside the caller's transaction, so the state change and its event commit together. */
  tx?: Executor;
}

/** What an append returns: only what the database assigned, the rest is in hand. */
const RETURNING = sql.raw(
  `returning sequence, stream_id, stream_version, tx_id::text as tx_text, ${STORED_AT_MS}`,
);

type Inserted = Pick<EventRow, 'sequence' | 'stream_id' | 'stream_version' | 'tx_text' | 'stored_at'>;

/**
 * `EventStore.appendAll`: the append statement on its own, in one of its three forms, each
 * compiled once per store (`fixedStatement`) and named by its text.
 */
export class EventAppend {
  private readonly contended = new ContendedStreams();

  constructor(
    private readonly appender: EventAppender,
    private readonly db: Executor,
  ) {}

  private readonly appendOptimistic = fixedStatement<{ rowsJson: string }>(
    'gl_append',
    (v) => sql`${this.appender.rows(v.rowsJson)} ${RETURNING}`,
  );
  private readonly appendExpecting = fixedStatement<{ rowsJson: string; expectedVersion: number }>(
    'gl_append',
    (v) => sql`${this.appender.rows(v.rowsJson, { expectedVersion: v.expectedVersion })} ${RETURNING}`,
  );
  private readonly appendSerialised = fixedStatement<{ rowsJson: string }>(
    'gl_append_locked',
    (v) => sql`${this.appender.serialisedRows(v.rowsJson)} ${RETURNING}`,
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
    const executor = options.tx ?? this.db;
    // Without an expected version an append must not fail because another writer got there first.
    // It tries the optimistic statement (one index probe per row, the cheapest) and, once it has
    // lost a race, the serialising one, as often as it takes; a stream that lost a race recently
    // goes straight to the serialising one. Inside a caller's transaction a lost race cannot be
    // retried (the transaction is aborted), so it serialises from the start.
    let serialise =
      expectedVersion === undefined && (options.tx !== undefined || this.contended.isHot(rows, Date.now()));
    for (;;) {
      try {
        const rowsJson = JSON.stringify(rows);
        const inserted = serialise
          ? await this.appendSerialised<Inserted>(executor, { rowsJson })
          : expectedVersion === undefined
            ? await this.appendOptimistic<Inserted>(executor, { rowsJson })
            : await this.appendExpecting<Inserted>(executor, { rowsJson, expectedVersion });
        if (inserted.length === 0) {
          throw conflict(`stream ${rows[0]!.stream_id} is not at expected version ${expectedVersion}`);
        }
        return appended(inserted, rows);
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
}

/** The appended events: what the database assigned (`inserted`) joined to the rows in hand. */
function appended(inserted: Inserted[], rows: readonly PreparedEvent[]): StoredEvent[] {
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
}
