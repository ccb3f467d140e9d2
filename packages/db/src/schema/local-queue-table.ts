import { sql } from 'drizzle-orm';
import { bigint, integer, jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import type { Executor } from '../executor.ts';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

const cache = new Map<string, ReturnType<typeof define>>();

function define(schemaName: string) {
  return pgSchema(schemaName).table('local_queue_messages', {
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity(),
    messageId: uuid('message_id').primaryKey(),
    queue: text('queue').notNull(),
    body: text('body').notNull(),
    messageAttributes: jsonb('message_attributes').$type<Record<string, string>>().notNull().default({}),
    generationId: uuid('generation_id'),
    sentAt: ts('sent_at').notNull().defaultNow(),
    firstReceivedAt: ts('first_received_at'),
    receiveCount: integer('receive_count').notNull().default(0),
    visibleAt: ts('visible_at').notNull().defaultNow(),
    receiptHandle: uuid('receipt_handle'),
    sourceArn: text('source_arn'),
  });
}

/**
 * The local queue's table (`npm start` only). Outside `defineTables` on purpose: drizzle-kit
 * never generates a migration for it, because deployed, SQS holds the messages; the local runtime
 * creates it (`LocalQueueStore.ensure`).
 */
export function localQueueTable(schemaName: string) {
  let t = cache.get(schemaName);
  if (!t) {
    t = define(schemaName);
    cache.set(schemaName, t);
  }
  return t;
}

type LocalQueueTable = ReturnType<typeof define>;

/** Creates the local queue's table and its indexes when missing (`LocalQueueStore.ensure`). */
export async function createLocalQueueTable(db: Executor, table: LocalQueueTable): Promise<void> {
  await db.execute(sql`
    create table if not exists ${table} (
      seq bigint generated always as identity,
      message_id uuid primary key,
      queue text not null,
      body text not null,
      message_attributes jsonb not null default '{}'::jsonb,
      generation_id uuid,
      sent_at timestamptz not null default now(),
      first_received_at timestamptz,
      receive_count integer not null default 0,
      visible_at timestamptz not null default now(),
      receipt_handle uuid,
      source_arn text
    )`);
  await db.execute(
    sql`create index if not exists local_queue_messages_due on ${table} (queue, visible_at, seq)`,
  );
  await db.execute(
    sql`create index if not exists local_queue_messages_generation on ${table} (generation_id)`,
  );
}
