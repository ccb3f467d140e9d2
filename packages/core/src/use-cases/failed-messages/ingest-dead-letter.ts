import { MESSAGE_TYPE, POLL_MESSAGE_TYPE, parseQueueMessage } from '../../contracts/queue-message.ts';
import type { IncomingMessage } from '../process-generation-message.ts';

/** What the failed-message store needs to record one dead-lettering. */
export interface DeadLetterRecord {
  /** The SQS message id: the same DLQ record delivered twice carries the same one. */
  messageId: string;
  body: string;
  attributes: Record<string, unknown>;
  receiveCount: number;
  /** The queue the message failed on (the source of the dead-lettering). */
  queue: string;
  failedAt: Date;
  generationId: string | null;
  messageType: string;
  model: string | null;
  /** Set when the body never parsed: it would fail every retry. */
  invalidReason: string | null;
  /** Why it failed, when the handler knows (a webhook delivery's last answer); else read from the generation. */
  cause?: DeadLetterCause;
}

/**
 * The receives a dead-lettered message had on the queue it failed on. SQS keeps counting in the
 * dead-letter queue (its first receive there reports one more than the redrive's maximum; each
 * failed ingestion adds one), and it moves a message exactly when a receive would exceed
 * `maxReceiveCount`: so the source queue's count is that maximum, never more. Unknown maximum: the
 * count as reported.
 */
export function sourceQueueReceives(approximateReceiveCount: number, maxReceiveCount: number | undefined) {
  return maxReceiveCount === undefined
    ? approximateReceiveCount
    : Math.min(approximateReceiveCount, maxReceiveCount);
}

/**
 * Reads a dead-lettered message into a record: a valid generation message names its generation and
 * model; anything else is kept as it is and flagged invalid (it would fail every retry), with the
 * generation and type it names if it names them (a type only when the generation is named too).
 */
export function deadLetterRecord(
  message: IncomingMessage & { attributes?: Record<string, unknown>; failedAt?: Date; sourceQueue?: string },
): DeadLetterRecord {
  const parsed = parseQueueMessage(message.body);
  return {
    messageId: message.messageId,
    body: message.body,
    attributes: message.attributes ?? {},
    receiveCount: message.receiveCount,
    queue: message.sourceQueue ?? message.queue,
    failedAt: message.failedAt ?? new Date(),
    generationId: parsed.ok ? parsed.message.generationId : parsed.generationId,
    messageType: parsed.ok ? parsed.message.type : (parsed.generationId && parsed.type) || 'unknown',
    model: parsed.ok && parsed.message.type === MESSAGE_TYPE ? parsed.message.request.model : null,
    invalidReason: parsed.ok ? null : parsed.reason,
  };
}

/** The error a dead-lettering is recorded with, and that names its failure groups. */
export interface DeadLetterCause {
  type: string;
  message: string;
  stack: string | null;
}

/**
 * Why a message was dead-lettered: a body that never parsed is `InvalidMessage`; otherwise the
 * generation's last failed run says, and a message with no failed run on record (the worker never
 * got to record one) is `NoRecordedError`.
 */
export function deadLetterCause(
  record: Pick<DeadLetterRecord, 'invalidReason' | 'generationId' | 'cause'>,
  lastFailedRun:
    | { errorType: string | null; errorMessage: string | null; errorStack: string | null }
    | undefined,
): DeadLetterCause {
  if (record.cause) return record.cause;
  if (record.invalidReason !== null || !record.generationId)
    return { type: 'InvalidMessage', message: record.invalidReason ?? '', stack: null };
  if (lastFailedRun?.errorType)
    return {
      type: lastFailedRun.errorType,
      message: lastFailedRun.errorMessage ?? '',
      stack: lastFailedRun.errorStack,
    };
  return {
    type: 'NoRecordedError',
    message: 'the message was dead-lettered without a failed run on record',
    stack: null,
  };
}

/** What a generation failed by a dead-lettering records as its error message. */
export const deadLetteredGenerationError = (receiveCount: number, cause: DeadLetterCause) =>
  `dead-lettered after ${receiveCount} receives: ${cause.message}`;

/**
 * A dead-lettered poll reminder is dropped, not recorded: the attempt it asked about is governed by
 * the generation message held in flight until its deadline, which dead-letters on its own terms.
 */
export const isPollReminder = (record: Pick<DeadLetterRecord, 'messageType' | 'invalidReason'>) =>
  record.messageType === POLL_MESSAGE_TYPE && record.invalidReason === null;
