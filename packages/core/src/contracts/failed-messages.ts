import * as z from 'zod';
import { canonicalId } from './ids.ts';
import { FAILED_MESSAGE_ID_LENGTH } from './limits.ts';
import { text } from './storable.ts';

export const FAILED_MESSAGE_STATUSES = ['unresolved', 'retry_issued', 'resolved', 'archived'] as const;
export const RETRY_BATCH_STATUSES = ['pending', 'in_progress', 'completed', 'failed'] as const;
export const FailedMessageStatus = z.enum(FAILED_MESSAGE_STATUSES);
export type FailedMessageStatus = z.infer<typeof FailedMessageStatus>;

/** Bodies above this are stored truncated (flagged), never rejected: SQS's own message limit. */
export const MAX_STORED_BODY_BYTES = 256 * 1024;

export const FAILED_MESSAGE_SORTS = [
  '-lastFailedAt',
  'lastFailedAt',
  '-firstFailedAt',
  'firstFailedAt',
] as const;

export const FailedMessageSummary = z.object({
  id: z.string(),
  status: FailedMessageStatus,
  messageType: z.string(),
  messageId: z.string().nullable(),
  generationId: z.uuid().nullable(),
  model: z.string().nullable(),
  invalid: z.boolean(),
  bodyTruncated: z.boolean(),
  attemptCount: z.int(),
  firstFailedAt: z.iso.datetime(),
  lastFailedAt: z.iso.datetime(),
  statusChangedAt: z.iso.datetime(),
  lastError: z.object({ type: z.string().nullable(), message: z.string().nullable() }),
  retryBatchId: z.uuid().nullable(),
});
export type FailedMessageSummary = z.infer<typeof FailedMessageSummary>;

export const FailedMessageAttempt = z.object({
  messageId: z.string(),
  failedAt: z.iso.datetime(),
  receiveCount: z.int(),
  queue: z.string(),
  errorType: z.string().nullable(),
  errorMessage: z.string().nullable(),
  errorStack: z.string().nullable(),
});

export const FailedMessageDetail = FailedMessageSummary.extend({
  body: z.string(),
  attributes: z.record(z.string(), z.unknown()),
  lastErrorStack: z.string().nullable(),
  groups: z.array(z.object({ id: z.string(), classifier: z.string(), title: z.string() })),
  attempts: z.array(FailedMessageAttempt),
});
export type FailedMessageDetail = z.infer<typeof FailedMessageDetail>;

export const FailureGroup = z.object({
  id: z.string(),
  classifier: z.string(),
  title: z.string(),
  /** Messages in the group that are not archived. */
  count: z.int(),
  unresolved: z.int(),
  retryIssued: z.int(),
  firstFailedAt: z.iso.datetime(),
  lastFailedAt: z.iso.datetime(),
});
export type FailureGroup = z.infer<typeof FailureGroup>;

export const RetryBatch = z.object({
  id: z.uuid(),
  requestedBy: z.uuid().nullable(),
  selector: z.record(z.string(), z.unknown()),
  status: z.enum(RETRY_BATCH_STATUSES),
  total: z.int(),
  sent: z.int(),
  failed: z.int(),
  skipped: z.int(),
  lastError: z.string().nullable(),
  createdAt: z.iso.datetime(),
  startedAt: z.iso.datetime().nullable(),
  completedAt: z.iso.datetime().nullable(),
});
export type RetryBatch = z.infer<typeof RetryBatch>;

export const BulkIdsBody = z.strictObject({
  ids: z.array(text().min(1).max(FAILED_MESSAGE_ID_LENGTH).transform(canonicalId)).min(1).max(1000),
});

/**
 * The most messages one operation moves, in one transaction. A group or a filter can match far
 * more (a long outage): an operation takes the first this many eligible ones by id, and says when
 * more are left for another run. One transaction over every member of a million-message group
 * held each lock and wrote each event at once (85 µs a message here: 17–18 s at 200,000, so the
 * 30 s statement timeout near 350,000).
 */
export const MAX_PER_OPERATION = 10_000;

export const BulkOutcome = z.object({
  changed: z.int(),
  skipped: z.int(),
  more: z.boolean().meta({
    description: `Eligible messages are left: a group operation moves at most ${MAX_PER_OPERATION} at a time; run it again for the rest`,
  }),
  next: z.string().nullable().meta({
    description:
      'For a group: pass it as `after` to the next run, which goes on from there (null: from the start)',
  }),
});

/** `reopen` takes a resolved message back to unresolved: resolved by mistake, or failing again. */
export type FailedMessageOperation = 'archive' | 'unarchive' | 'resolve' | 'reopen' | 'retry';

/** Which statuses each operation moves a message from; anything else is a conflict (ids) or skipped (group). */
export const OPERATION_FROM: Record<FailedMessageOperation, readonly FailedMessageStatus[]> = {
  retry: ['unresolved', 'archived'],
  archive: ['unresolved'],
  unarchive: ['archived'],
  resolve: ['unresolved', 'retry_issued', 'archived'],
  reopen: ['resolved'],
};
export const OPERATION_TO: Record<FailedMessageOperation, FailedMessageStatus> = {
  retry: 'retry_issued',
  archive: 'archived',
  unarchive: 'unresolved',
  resolve: 'resolved',
  reopen: 'unresolved',
};
