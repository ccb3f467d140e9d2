import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  jsonb,
  type PgSchema,
  smallint,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/pg-core';
import { ts } from './columns.ts';
import { MAX_CHECKPOINT_NAME_LENGTH, MAX_EVENT_TYPE_LENGTH, MAX_STREAM_ID_LENGTH } from './limits.ts';
import { xid8 } from './types.ts';

/** The event store: events, their archive and the projections' checkpoints. */
export function eventTables(s: PgSchema) {
  const events = s.table(
    'events',
    {
      sequence: bigint('sequence', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
      streamId: varchar('stream_id', { length: MAX_STREAM_ID_LENGTH }).notNull(),
      streamVersion: integer('stream_version').notNull(),
      eventType: varchar('event_type', { length: MAX_EVENT_TYPE_LENGTH }).notNull(),
      eventVersion: smallint('event_version').notNull().default(1),
      payload: jsonb('payload').notNull(),
      metadata: jsonb('metadata').notNull().default({}),
      // The writing transaction: readers only pass events whose transaction is older than every
      // transaction still running, so an event committed late is never skipped.
      txId: xid8('tx_id').notNull().default(sql`pg_current_xact_id()`),
      storedAt: ts('stored_at').notNull().defaultNow(),
    },
    (t) => [
      uniqueIndex('events_stream_version_uq').on(t.streamId, t.streamVersion),
      index('events_tx_sequence_idx').on(t.txId, t.sequence),
      check('events_stream_version_ck', sql`${t.streamVersion} > 0`),
    ],
  );
  // Events moved out of `events` by `EventStore.archive`: every event of a stream but its latest,
  // once every projection has passed it. `events` stays the size of the recent past, whatever
  // the history; stream reads and rebuilds read both tables.
  const eventsArchive = s.table(
    'events_archive',
    {
      sequence: bigint('sequence', { mode: 'number' }).primaryKey(),
      streamId: varchar('stream_id', { length: MAX_STREAM_ID_LENGTH }).notNull(),
      streamVersion: integer('stream_version').notNull(),
      eventType: varchar('event_type', { length: MAX_EVENT_TYPE_LENGTH }).notNull(),
      eventVersion: smallint('event_version').notNull(),
      payload: jsonb('payload').notNull(),
      metadata: jsonb('metadata').notNull(),
      txId: xid8('tx_id').notNull(),
      storedAt: ts('stored_at').notNull(),
      archivedAt: ts('archived_at').notNull().defaultNow(),
    },
    (t) => [
      uniqueIndex('events_archive_stream_version_uq').on(t.streamId, t.streamVersion),
      index('events_archive_tx_sequence_idx').on(t.txId, t.sequence),
    ],
  );
  const checkpoints = s.table('checkpoints', {
    name: varchar('name', { length: MAX_CHECKPOINT_NAME_LENGTH }).primaryKey(),
    txId: xid8('tx_id').notNull().default(sql`'0'::xid8`),
    sequence: bigint('sequence', { mode: 'number' }).notNull().default(0),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  });

  return { events, eventsArchive, checkpoints };
}
