import { bigint, index, integer, type PgSchema, uuid, varchar } from 'drizzle-orm/pg-core';
import { ts } from './columns.ts';
import { STATUS_LENGTH } from './limits.ts';
import { MAX_STORED_RESPONSE_BYTES, type webhookTables } from './webhooks.ts';

/**
 * One row per attempt at a webhook delivery, for the console's delivery page: the delivery row
 * keeps only its latest attempt. Written by a trigger on `webhook_deliveries` (migration 0015)
 * whenever an attempt is recorded there, so no writer of deliveries has to know of it.
 */
export function webhookAttemptTables(
  s: PgSchema,
  { webhookDeliveries }: Pick<ReturnType<typeof webhookTables>, 'webhookDeliveries'>,
) {
  const webhookDeliveryAttempts = s.table(
    'webhook_delivery_attempts',
    {
      id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
      deliveryId: uuid('delivery_id')
        .notNull()
        .references(() => webhookDeliveries.id, { onDelete: 'cascade' }),
      /** The delivery's attempt count after this one (a skipped attempt does not count; a redelivery goes on counting). */
      attempt: integer('attempt').notNull(),
      status: varchar('status', { length: STATUS_LENGTH }).notNull(),
      statusCode: integer('status_code'),
      latencyMs: integer('latency_ms'),
      error: varchar('error', { length: 2000 }),
      response: varchar('response', { length: MAX_STORED_RESPONSE_BYTES }),
      attemptedAt: ts('attempted_at').notNull(),
    },
    (t) => [index('webhook_delivery_attempts_delivery_idx').on(t.deliveryId, t.id)],
  );
  return { webhookDeliveryAttempts };
}
