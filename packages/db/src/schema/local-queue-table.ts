import { bigint, integer, jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

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
