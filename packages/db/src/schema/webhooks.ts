import {
  DELIVERY_STATUSES,
  MAX_WEBHOOK_DESCRIPTION_LENGTH,
  MAX_WEBHOOK_URL_LENGTH,
  WEBHOOK_DISABLED_REASONS,
} from '@genledger/core/contracts/webhooks';
import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  integer,
  type PgSchema,
  text,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { inList, ts } from './columns.ts';
import type { keyTables } from './keys.ts';
import { STATUS_LENGTH } from './limits.ts';

/** The first bytes of a receiver's answer kept with a delivery; the rest is never stored. */
export const MAX_STORED_RESPONSE_BYTES = 1024;
const EVENT_TYPE_LENGTH = 64;
const SUBJECT_ID_LENGTH = 64;

/** Webhook endpoints (subscriptions) and their deliveries. */
export function webhookTables(
  s: PgSchema,
  { apiKeys }: { apiKeys: ReturnType<typeof keyTables>['apiKeys'] },
) {
  const webhookEndpoints = s.table(
    'webhook_endpoints',
    {
      id: uuid('id').primaryKey(),
      apiKeyId: uuid('api_key_id')
        .notNull()
        .references(() => apiKeys.id, { onDelete: 'cascade' }),
      url: varchar('url', { length: MAX_WEBHOOK_URL_LENGTH }).notNull(),
      events: text('events').array().notNull(),
      description: varchar('description', { length: MAX_WEBHOOK_DESCRIPTION_LENGTH }).notNull().default(''),
      // AES-256-GCM ciphertexts (packages/core/src/webhooks/secret-box.ts): a secret must be
      // recoverable to sign with, unlike an API key, so it is encrypted rather than hashed.
      secret: text('secret').notNull(),
      previousSecret: text('previous_secret'),
      previousSecretExpiresAt: ts('previous_secret_expires_at'),
      disabledAt: ts('disabled_at'),
      // The first failed attempt since the last success; the auto-disable period counts from it.
      failingSince: ts('failing_since'),
      disabledReason: varchar('disabled_reason', { length: STATUS_LENGTH, enum: WEBHOOK_DISABLED_REASONS }),
      createdAt: ts('created_at').notNull().defaultNow(),
      updatedAt: ts('updated_at').notNull().defaultNow(),
    },
    (t) => [
      index('webhook_endpoints_owner_idx').on(t.apiKeyId, t.createdAt, t.id),
      check(
        'webhook_endpoints_disabled_reason_ck',
        sql`${t.disabledReason} is null or ${inList('disabled_reason', WEBHOOK_DISABLED_REASONS)}`,
      ),
    ],
  );
  const webhookDeliveries = s.table(
    'webhook_deliveries',
    {
      // The `webhook-id` header: the same for every attempt, so receivers can deduplicate.
      id: uuid('id').primaryKey().default(sql`gen_random_uuid()`),
      // null: the generation's own webhook (`webhook` on its request), signed with its key's default secret.
      endpointId: uuid('endpoint_id').references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
      eventType: varchar('event_type', { length: EVENT_TYPE_LENGTH }).notNull(),
      // The event that raised it (null for a test ping): at most one delivery per event and endpoint.
      eventSequence: bigint('event_sequence', { mode: 'number' }),
      generationId: uuid('generation_id'),
      // What an operational event is about (a failed message, failure group, retry batch or
      // endpoint id): the body's `data` is that resource as the API returns it at the attempt.
      subjectId: varchar('subject_id', { length: SUBJECT_ID_LENGTH }),
      occurredAt: ts('occurred_at').notNull().defaultNow(),
      status: varchar('status', { length: STATUS_LENGTH, enum: DELIVERY_STATUSES })
        .notNull()
        .default('pending'),
      attempts: integer('attempts').notNull().default(0),
      // null until the message reached the webhook queue; maintenance re-sends what stays null.
      enqueuedAt: ts('enqueued_at'),
      createdAt: ts('created_at').notNull().defaultNow(),
      lastAttemptAt: ts('last_attempt_at'),
      deliveredAt: ts('delivered_at'),
      nextAttemptAt: ts('next_attempt_at'),
      lastStatusCode: integer('last_status_code'),
      lastLatencyMs: integer('last_latency_ms'),
      lastError: varchar('last_error', { length: 2000 }),
      lastResponse: varchar('last_response', { length: MAX_STORED_RESPONSE_BYTES }),
    },
    (t) => [
      check('webhook_deliveries_status_ck', inList('status', DELIVERY_STATUSES)),
      uniqueIndex('webhook_deliveries_event_uq').on(t.endpointId, t.eventSequence),
      uniqueIndex('webhook_deliveries_own_event_uq')
        .on(t.generationId, t.eventSequence)
        .where(sql`${t.endpointId} is null`),
      index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.createdAt, t.id),
      // The retention sweep's order (webhook-store/retention.ts).
      index('webhook_deliveries_created_idx').on(t.createdAt),
      index('webhook_deliveries_not_enqueued_idx').on(t.createdAt).where(sql`${t.enqueuedAt} is null`),
    ],
  );
  return { webhookEndpoints, webhookDeliveries };
}
