import { GENERATION_STATUSES, RUN_STATUSES } from '@genledger/core/contracts/generation';
import {
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_ERROR_TYPE_LENGTH,
  MAX_GENERATION_NAME_LENGTH,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_MODEL_LENGTH,
  MAX_OUTPUT_PATH_LENGTH,
  MAX_PROMPT_ID_LENGTH,
  MAX_PROMPT_LENGTH,
} from '@genledger/core/contracts/limits';
import type { KeptOutput } from '@genledger/core/contracts/outputs';
import { MAX_WEBHOOK_URL_LENGTH } from '@genledger/core/contracts/webhooks';
import { sql } from 'drizzle-orm';
import {
  bigint,
  char,
  check,
  date,
  index,
  integer,
  jsonb,
  type PgSchema,
  primaryKey,
  real,
  text,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { inList, SIDES, ts } from './columns.ts';
import type { keyTables } from './keys.ts';
import {
  MAX_MESSAGE_ID_LENGTH,
  MAX_RECEIPT_HANDLE_LENGTH,
  SHA256_HEX_LENGTH,
  STATUS_LENGTH,
} from './limits.ts';
import { tsvector } from './types.ts';

/** Generations, their run journal and the daily stats projection. */
export function generationTables(
  s: PgSchema,
  { apiKeys }: { apiKeys: ReturnType<typeof keyTables>['apiKeys'] },
) {
  const generations = s.table(
    'generations',
    {
      id: uuid('id').primaryKey(),
      apiKeyId: uuid('api_key_id').references(() => apiKeys.id, { onDelete: 'set null' }),
      name: varchar('name', { length: MAX_GENERATION_NAME_LENGTH }).notNull().default(''),
      prompt: varchar('prompt', { length: MAX_PROMPT_LENGTH }).notNull(),
      negativePrompt: varchar('negative_prompt', { length: MAX_PROMPT_LENGTH }),
      model: varchar('model', { length: MAX_MODEL_LENGTH }).notNull().default('sdxl'),
      width: integer('width').notNull().default(1024),
      height: integer('height').notNull().default(1024),
      steps: integer('steps').notNull().default(20),
      guidance: real('guidance').notNull().default(7.5),
      seed: integer('seed'),
      status: varchar('status', { length: STATUS_LENGTH, enum: GENERATION_STATUSES })
        .notNull()
        .default('pending'),
      idempotencyKey: varchar('idempotency_key', { length: MAX_IDEMPOTENCY_KEY_LENGTH }),
      requestHash: char('request_hash', { length: SHA256_HEX_LENGTH }),
      promptId: varchar('prompt_id', { length: MAX_PROMPT_ID_LENGTH }),
      outputPath: varchar('output_path', { length: MAX_OUTPUT_PATH_LENGTH }),
      thumbnailPath: varchar('thumbnail_path', { length: MAX_OUTPUT_PATH_LENGTH }),
      // Written once, with the completion, and read with the generation: a column, not a table.
      outputs: jsonb('outputs').$type<KeptOutput[]>().notNull().default([]),
      errorMessage: varchar('error_message', { length: MAX_ERROR_MESSAGE_LENGTH }),
      createdAt: ts('created_at').notNull().defaultNow(),
      updatedAt: ts('updated_at').notNull().defaultNow(),
      startedAt: ts('started_at'),
      completedAt: ts('completed_at'),
      durationMs: integer('duration_ms'),
      attempts: integer('attempts').notNull().default(0),
      // null until the message reached the queue; the maintenance job re-sends what stays null.
      enqueuedAt: ts('enqueued_at'),
      // The request's own webhook (the Replicate way), signed with its key's default secret.
      webhookUrl: varchar('webhook_url', { length: MAX_WEBHOOK_URL_LENGTH }),
      webhookEvents: text('webhook_events').array(),
      search: tsvector('search')
        .notNull()
        .generatedAlwaysAs(
          (): ReturnType<typeof sql> =>
            sql`to_tsvector('english'::regconfig, coalesce(name, '') || ' ' || coalesce(prompt, ''))`,
        ),
    },
    (t) => [
      check('generations_status_ck', inList('status', GENERATION_STATUSES)),
      check('generations_size_ck', sql`${t.width} between ${SIDES} and ${t.height} between ${SIDES}`),
      // An admin's list by status, newest first, seeks its page instead of filtering the newest rows.
      index('generations_status_created_idx').on(t.status, t.createdAt, t.id),
      index('generations_created_at_idx').on(t.createdAt, t.id),
      index('generations_owner_created_idx').on(t.apiKeyId, t.createdAt, t.id),
      // A key's own list in each sort seeks its rows instead of filtering a whole-table index
      // (bench: scale, 22× the pages at 10× the rows for durationMs before these).
      index('generations_owner_completed_idx').on(t.apiKeyId, t.completedAt, t.id),
      index('generations_owner_duration_idx').on(t.apiKeyId, t.durationMs, t.id),
      index('generations_owner_name_idx').on(t.apiKeyId, t.name, t.id),
      index('generations_completed_at_idx').on(t.completedAt, t.id),
      index('generations_duration_idx').on(t.durationMs, t.id),
      index('generations_name_idx').on(t.name, t.id),
      index('generations_model_idx').on(t.model),
      uniqueIndex('generations_idempotency_uq')
        .on(sql`coalesce(${t.apiKeyId}, '00000000-0000-0000-0000-000000000000'::uuid)`, t.idempotencyKey)
        .where(sql`${t.idempotencyKey} is not null`),
      index('generations_not_enqueued_idx')
        .on(t.createdAt)
        .where(sql`${t.status} = 'pending' and ${t.enqueuedAt} is null`),
      index('generations_search_idx').using('gin', t.search),
      // The retention sweep's scan: finished generations, oldest first.
      index('generations_finished_updated_idx')
        .on(t.updatedAt)
        .where(sql`${t.status} in ('completed', 'failed', 'cancelled')`),
    ],
  );
  const generationRuns = s.table(
    'generation_runs',
    {
      id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
      generationId: uuid('generation_id')
        .notNull()
        .references(() => generations.id, { onDelete: 'cascade' }),
      attempt: integer('attempt').notNull(),
      messageId: varchar('message_id', { length: MAX_MESSAGE_ID_LENGTH }),
      receiveCount: integer('receive_count'),
      status: varchar('status', { length: STATUS_LENGTH, enum: RUN_STATUSES }).notNull().default('running'),
      startedAt: ts('started_at').notNull().defaultNow(),
      completedAt: ts('completed_at'),
      durationMs: integer('duration_ms'),
      errorType: varchar('error_type', { length: MAX_ERROR_TYPE_LENGTH }),
      errorMessage: varchar('error_message', { length: MAX_ERROR_MESSAGE_LENGTH }),
      errorStack: text('error_stack'),
      // An attempt at an asynchronous backend (docs/backends.md): the job's id, the hash of the
      // callback URL's token, the deadline, the delivery held in flight until then, and what the
      // backend reported with its outcome.
      backendId: varchar('backend_id', { length: MAX_PROMPT_ID_LENGTH }),
      callbackTokenHash: char('callback_token_hash', { length: SHA256_HEX_LENGTH }),
      deadlineAt: ts('deadline_at'),
      submittedAt: ts('submitted_at'),
      reportedAt: ts('reported_at'),
      receiptHandle: varchar('receipt_handle', { length: MAX_RECEIPT_HANDLE_LENGTH }),
      backendMetrics: jsonb('backend_metrics'),
    },
    (t) => [
      check('generation_runs_status_ck', inList('status', RUN_STATUSES)),
      uniqueIndex('generation_runs_attempt_uq').on(t.generationId, t.attempt),
      uniqueIndex('generation_runs_callback_token_uq')
        .on(t.callbackTokenHash)
        .where(sql`${t.callbackTokenHash} is not null`),
      index('generation_runs_deadline_idx')
        .on(t.deadlineAt)
        .where(sql`${t.status} = 'running' and ${t.deadlineAt} is not null`),
      // The console's generator health and latency read the attempts of the last minutes.
      index('generation_runs_completed_idx').on(t.completedAt),
    ],
  );
  const dailyGenerationStats = s.table(
    'daily_generation_stats',
    {
      day: date('day', { mode: 'string' }).notNull(),
      model: varchar('model', { length: MAX_MODEL_LENGTH }).notNull(),
      status: varchar('status', { length: STATUS_LENGTH }).notNull(),
      count: integer('count').notNull().default(0),
      durationCount: integer('duration_count').notNull().default(0),
      totalDurationMs: bigint('total_duration_ms', { mode: 'number' }).notNull().default(0),
    },
    (t) => [primaryKey({ columns: [t.day, t.model, t.status] })],
  );

  return { generations, generationRuns, dailyGenerationStats };
}
