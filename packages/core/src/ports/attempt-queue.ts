import type { GenerationPollMessage, GenerationRequestedMessageInput } from '../contracts/queue-message.ts';

/**
 * The queue operations an asynchronous attempt needs (SQS deployed, the local queue under
 * `npm start`). The delivery that started an attempt stays in flight until the attempt's deadline:
 * if no outcome came by then, SQS delivers it again with one more receive, and the usual
 * receive/dead-letter rules decide between another attempt and the dead-letter queue.
 */
export interface AttemptQueue {
  /** Keeps a received message invisible for `seconds` from now (SQS ChangeMessageVisibility, ≤ 12 h). */
  hold(receiptHandle: string, seconds: number): Promise<void>;
  /** Makes it visible now: a transient failure reported by a callback is retried without waiting out the deadline. */
  release(receiptHandle: string): Promise<void>;
  /**
   * Sends a message visible after `delaySeconds` (SQS DelaySeconds, ≤ 900): a poll reminder, or a
   * generation deferred by backpressure (a fresh message, so a busy backend never uses up receives).
   */
  sendLater(
    message: GenerationPollMessage | GenerationRequestedMessageInput,
    delaySeconds: number,
  ): Promise<void>;
}

/** SQS's longest message delay; a longer wait between polls is a chain of them. */
export const MAX_DELAY_SECONDS = 900;
/** SQS's longest visibility timeout. */
export const MAX_VISIBILITY_SECONDS = 43_200;
