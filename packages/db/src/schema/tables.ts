import { FAILED_MESSAGE_STATUSES, RETRY_BATCH_STATUSES } from '@genledger/core/contracts/failed-messages';
import { GENERATION_STATUSES, RUN_STATUSES } from '@genledger/core/contracts/generation';
import {
  FAILED_MESSAGE_ID_LENGTH,
  FAILURE_GROUP_ID_LENGTH,
  MAX_API_KEY_NAME_LENGTH,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_ERROR_TYPE_LENGTH,
  MAX_GENERATION_NAME_LENGTH,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  MAX_IMAGE_SIDE,
  MAX_MESSAGE_TYPE_LENGTH,
  MAX_MODEL_LENGTH,
  MAX_OUTPUT_PATH_LENGTH,
  MAX_PROMPT_ID_LENGTH,
  MAX_PROMPT_LENGTH,
  MAX_SETTING_KEY_LENGTH,
  MIN_IMAGE_SIDE,
} from '@genledger/core/contracts/limits';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  char,
  check,
  date,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  real,
  smallint,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import {
  KEY_PREFIX_LENGTH,
  MAX_CHECKPOINT_NAME_LENGTH,
  MAX_CLASSIFIER_LENGTH,
  MAX_EVENT_TYPE_LENGTH,
  MAX_GROUP_TITLE_LENGTH,
  MAX_MESSAGE_ID_LENGTH,
  MAX_QUEUE_LENGTH,
  MAX_STREAM_ID_LENGTH,
  SHA256_HEX_LENGTH,
  STATUS_LENGTH,
} from './limits.ts';
import { tsvector, xid8 } from './types.ts';

/** The schema name drizzle-kit generates with; the migrator rewrites it to the configured one. */
export const GENERATED_SCHEMA = 'genledger';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
/** The allowed image sides as the check's literal text (a bound value has no place in DDL). */
const SIDES = sql.raw(`${MIN_IMAGE_SIDE} and ${MAX_IMAGE_SIDE}`);
const inList = (column: string, values: readonly string[]) =>
  sql.raw(`${column} in (${values.map((v) => `'${v}'`).join(', ')})`);

/**
 * Every table of one deployment, bound to a Postgres schema chosen at run time (`DB_SCHEMA`).
 * drizzle-kit generates the migrations from the default schema (`genledger`); the migrator
 * rewrites that name, so two deployments can share one database without touching each other.
 */
export function defineTables(schemaName: string) {
  const s = pgSchema(schemaName);

  const apiKeys = s.table(
    'api_keys',
    {
      id: uuid('id').primaryKey(),
      name: varchar('name', { length: MAX_API_KEY_NAME_LENGTH }).notNull(),
      keyHash: char('key_hash', { length: SHA256_HEX_LENGTH }).notNull(),
      keyPrefix: varchar('key_prefix', { length: KEY_PREFIX_LENGTH }).notNull(),
      isAdmin: boolean('is_admin').notNull().default(false),
      rateLimit: integer('rate_limit').notNull().default(100),
      createdAt: ts('created_at').notNull().defaultNow(),
      lastUsedAt: ts('last_used_at'),
      expiresAt: ts('expires_at'),
      revokedAt: ts('revoked_at'),
      rateWindowStart: ts('rate_window_start'),
      rateWindowCount: integer('rate_window_count').notNull().default(0),
    },
    (t) => [
      uniqueIndex('api_keys_key_hash_uq').on(t.keyHash),
      index('api_keys_key_prefix_idx').on(t.keyPrefix),
      check('api_keys_rate_limit_ck', sql`${t.rateLimit} > 0`),
    ],
  );

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
      errorMessage: varchar('error_message', { length: MAX_ERROR_MESSAGE_LENGTH }),
      createdAt: ts('created_at').notNull().defaultNow(),
      updatedAt: ts('updated_at').notNull().defaultNow(),
      startedAt: ts('started_at'),
      completedAt: ts('completed_at'),
      durationMs: integer('duration_ms'),
      attempts: integer('attempts').notNull().default(0),
      // null until the message reached the queue; the maintenance job re-sends what stays null.
      enqueuedAt: ts('enqueued_at'),
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
    },
    (t) => [
      check('generation_runs_status_ck', inList('status', RUN_STATUSES)),
      uniqueIndex('generation_runs_attempt_uq').on(t.generationId, t.attempt),
    ],
  );

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

  const settings = s.table('settings', {
    key: varchar('key', { length: MAX_SETTING_KEY_LENGTH }).primaryKey(),
    value: jsonb('value').notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  });

  const failedMessages = s.table(
    'failed_messages',
    {
      id: varchar('id', { length: FAILED_MESSAGE_ID_LENGTH }).primaryKey(),
      status: varchar('status', { length: STATUS_LENGTH, enum: FAILED_MESSAGE_STATUSES })
        .notNull()
        .default('unresolved'),
      messageId: varchar('message_id', { length: MAX_MESSAGE_ID_LENGTH }),
      messageType: varchar('message_type', { length: MAX_MESSAGE_TYPE_LENGTH }).notNull(),
      generationId: uuid('generation_id'),
      model: varchar('model', { length: MAX_MODEL_LENGTH }),
      body: text('body').notNull(),
      bodyTruncated: boolean('body_truncated').notNull().default(false),
      attributes: jsonb('attributes').notNull().default({}),
      invalid: boolean('invalid').notNull().default(false),
      firstFailedAt: ts('first_failed_at').notNull(),
      lastFailedAt: ts('last_failed_at').notNull(),
      attemptCount: integer('attempt_count').notNull().default(0),
      statusChangedAt: ts('status_changed_at').notNull().defaultNow(),
      lastErrorType: varchar('last_error_type', { length: MAX_ERROR_TYPE_LENGTH }),
      lastErrorMessage: varchar('last_error_message', { length: MAX_ERROR_MESSAGE_LENGTH }),
      lastErrorStack: text('last_error_stack'),
      retryBatchId: uuid('retry_batch_id'),
      retrySentAt: ts('retry_sent_at'),
      search: tsvector('search')
        .notNull()
        .generatedAlwaysAs(
          (): ReturnType<typeof sql> =>
            sql`to_tsvector('english'::regconfig, coalesce(message_type, '') || ' ' || coalesce(last_error_type, '') || ' ' || coalesce(last_error_message, '') || ' ' || left(body, 20000))`,
        ),
    },
    (t) => [
      check('failed_messages_status_ck', inList('status', FAILED_MESSAGE_STATUSES)),
      index('failed_messages_status_last_idx').on(t.status, t.lastFailedAt, t.id),
      index('failed_messages_last_idx').on(t.lastFailedAt, t.id),
      index('failed_messages_generation_idx').on(t.generationId),
      index('failed_messages_retry_batch_idx').on(t.retryBatchId).where(sql`${t.retryBatchId} is not null`),
      // The retention sweep's seek: without it every sweep reads the whole table (bench: scale).
      index('failed_messages_expiry_idx')
        .on(t.statusChangedAt)
        .where(sql`${t.status} in ('resolved', 'archived')`),
      index('failed_messages_search_idx').using('gin', t.search),
      // A group retry counts its never-parsed members as skipped (FailedMessageStore.changeStatus).
      index('failed_messages_invalid_idx').on(t.id).where(sql`${t.invalid}`),
    ],
  );

  const failedMessageAttempts = s.table(
    'failed_message_attempts',
    {
      id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
      failedMessageId: varchar('failed_message_id', { length: FAILED_MESSAGE_ID_LENGTH })
        .notNull()
        .references(() => failedMessages.id, { onDelete: 'cascade' }),
      messageId: varchar('message_id', { length: MAX_MESSAGE_ID_LENGTH }).notNull(),
      failedAt: ts('failed_at').notNull(),
      receiveCount: integer('receive_count').notNull().default(0),
      queue: varchar('queue', { length: MAX_QUEUE_LENGTH }).notNull(),
      errorType: varchar('error_type', { length: MAX_ERROR_TYPE_LENGTH }),
      errorMessage: varchar('error_message', { length: MAX_ERROR_MESSAGE_LENGTH }),
      errorStack: text('error_stack'),
    },
    (t) => [
      uniqueIndex('failed_message_attempts_delivery_uq').on(t.failedMessageId, t.messageId),
      // The failure groups' sparklines read the last days' attempts (migration 0008).
      index('failed_message_attempts_failed_at_idx').on(t.failedAt),
    ],
  );

  const failureGroups = s.table('failure_groups', {
    id: varchar('id', { length: FAILURE_GROUP_ID_LENGTH }).primaryKey(),
    classifier: varchar('classifier', { length: MAX_CLASSIFIER_LENGTH }).notNull(),
    title: varchar('title', { length: MAX_GROUP_TITLE_LENGTH }).notNull(),
    firstFailedAt: ts('first_failed_at').notNull(),
    lastFailedAt: ts('last_failed_at').notNull(),
    // Members per status of their message, kept exact by triggers (migration 0005) in the
    // transaction that adds, moves or removes a member: the group list reads these instead of
    // joining every member (bench: scale, 10× the pages at 10× the rows before).
    unresolvedCount: integer('unresolved_count').notNull().default(0),
    retryIssuedCount: integer('retry_issued_count').notNull().default(0),
    resolvedCount: integer('resolved_count').notNull().default(0),
    archivedCount: integer('archived_count').notNull().default(0),
  });

  const failureGroupMembers = s.table(
    'failure_group_members',
    {
      groupId: varchar('group_id', { length: FAILURE_GROUP_ID_LENGTH })
        .notNull()
        .references(() => failureGroups.id, { onDelete: 'cascade' }),
      failedMessageId: varchar('failed_message_id', { length: FAILED_MESSAGE_ID_LENGTH })
        .notNull()
        .references(() => failedMessages.id, { onDelete: 'cascade' }),
    },
    (t) => [
      primaryKey({ columns: [t.groupId, t.failedMessageId] }),
      index('failure_group_members_message_idx').on(t.failedMessageId),
    ],
  );

  /**
   * Dead-letterings per failure group and UTC day: the attempts of the group's current members,
   * kept by triggers (migration 0010) so the groups' sparklines read a row per group and day
   * instead of every recent attempt.
   */
  const failureGroupDays = s.table(
    'failure_group_days',
    {
      day: date('day', { mode: 'string' }).notNull(),
      groupId: varchar('group_id', { length: FAILURE_GROUP_ID_LENGTH })
        .notNull()
        .references(() => failureGroups.id, { onDelete: 'cascade' }),
      failures: integer('failures').notNull().default(0),
    },
    (t) => [primaryKey({ columns: [t.day, t.groupId] })],
  );

  const retryBatches = s.table(
    'retry_batches',
    {
      id: uuid('id').primaryKey(),
      requestedBy: uuid('requested_by'),
      selector: jsonb('selector').notNull(),
      status: varchar('status', { length: STATUS_LENGTH, enum: RETRY_BATCH_STATUSES })
        .notNull()
        .default('pending'),
      total: integer('total').notNull().default(0),
      sent: integer('sent').notNull().default(0),
      failed: integer('failed').notNull().default(0),
      skipped: integer('skipped').notNull().default(0),
      lastError: varchar('last_error', { length: MAX_ERROR_MESSAGE_LENGTH }),
      createdAt: ts('created_at').notNull().defaultNow(),
      startedAt: ts('started_at'),
      completedAt: ts('completed_at'),
      updatedAt: ts('updated_at').notNull().defaultNow(),
      /**
       * The transaction that issued the batch, which also wrote its FailedMessageStatusChanged
       * events (`tx_id` of `events` and `events_archive`): the batch's messages are read through
       * that index wherever the archive has moved them (migration 0007).
       */
      txId: xid8('tx_id').default(sql`pg_current_xact_id()`),
    },
    (t) => [
      check('retry_batches_status_ck', inList('status', RETRY_BATCH_STATUSES)),
      index('retry_batches_status_idx').on(t.status, t.createdAt),
    ],
  );

  return {
    schema: s,
    apiKeys,
    generations,
    generationRuns,
    events,
    eventsArchive,
    checkpoints,
    dailyGenerationStats,
    settings,
    failedMessages,
    failedMessageAttempts,
    failureGroups,
    failureGroupMembers,
    failureGroupDays,
    retryBatches,
  };
}

export type Tables = ReturnType<typeof defineTables>;

const cache = new Map<string, Tables>();
export function tablesFor(schemaName: string): Tables {
  let t = cache.get(schemaName);
  if (!t) {
    t = defineTables(schemaName);
    cache.set(schemaName, t);
  }
  return t;
}
