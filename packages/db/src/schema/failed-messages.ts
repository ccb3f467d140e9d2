import { FAILED_MESSAGE_STATUSES, RETRY_BATCH_STATUSES } from '@genledger/core/contracts/failed-messages';
import {
  FAILED_MESSAGE_ID_LENGTH,
  FAILURE_GROUP_ID_LENGTH,
  MAX_ERROR_MESSAGE_LENGTH,
  MAX_ERROR_TYPE_LENGTH,
  MAX_MESSAGE_TYPE_LENGTH,
  MAX_MODEL_LENGTH,
} from '@genledger/core/contracts/limits';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  type PgSchema,
  primaryKey,
  text,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { inList, ts } from './columns.ts';
import {
  MAX_CLASSIFIER_LENGTH,
  MAX_GROUP_TITLE_LENGTH,
  MAX_MESSAGE_ID_LENGTH,
  MAX_QUEUE_LENGTH,
  STATUS_LENGTH,
} from './limits.ts';
import { tsvector, xid8 } from './types.ts';

/** Failed messages, their attempts, failure groups (members and per-day counts) and retry batches. */
export function failedMessageTables(s: PgSchema) {
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
      /**
       * The body an operator's last edit-and-retry sent (a valid generation message), which every
       * later retry sends too; `body` stays as the message failed.
       */
      editedBody: text('edited_body'),
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
    // Set when the group raised failure_group.spiking, cleared when its spike is over
    // (use-cases/failed-messages/failure-spike.ts): a spike is announced once.
    spikingSince: ts('spiking_since'),
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
    failedMessages,
    failedMessageAttempts,
    failureGroups,
    failureGroupMembers,
    failureGroupDays,
    retryBatches,
  };
}
