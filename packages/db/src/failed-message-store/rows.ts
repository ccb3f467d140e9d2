import type { FailedMessageSummary } from '@genledger/core/contracts/failed-messages';
import { sql } from 'drizzle-orm';
import { columnTables } from '../schema/tables.ts';
import { rowDecoder } from '../table-rows.ts';

/** A row as a statement returns it: SQL column names, values as the driver hands them. */
export type Row = Record<string, unknown>;

/** The columns of a failed message's summary (never its body or the search vector). */
export const SUMMARY_COLUMNS = sql.raw(
  'id, status, message_type, message_id, generation_id, model, invalid, body_truncated, attempt_count, first_failed_at, last_failed_at, status_changed_at, last_error_type, last_error_message, retry_batch_id',
);

export const decodeMessage = rowDecoder(() => columnTables().failedMessages);
export const decodeAttempt = rowDecoder(() => columnTables().failedMessageAttempts);
export const decodeGroup = rowDecoder(() => columnTables().failureGroups);

export function toSummary(raw: Row): FailedMessageSummary {
  const m = decodeMessage(raw);
  return {
    id: m.id,
    status: m.status,
    messageType: m.messageType,
    messageId: m.messageId,
    generationId: m.generationId,
    model: m.model,
    invalid: m.invalid,
    bodyTruncated: m.bodyTruncated,
    attemptCount: m.attemptCount,
    firstFailedAt: m.firstFailedAt.toISOString(),
    lastFailedAt: m.lastFailedAt.toISOString(),
    statusChangedAt: m.statusChangedAt.toISOString(),
    lastError: { type: m.lastErrorType, message: m.lastErrorMessage },
    retryBatchId: m.retryBatchId,
  };
}
