import type { AttemptQueue } from '@genledger/core/ports/attempt-queue';
import type { LocalQueue } from './local-queue.ts';

/** The AttemptQueue port over the local queue: the same calls SQS answers when deployed. */
export function localAttemptQueue(queue: LocalQueue): AttemptQueue {
  return {
    async hold(receiptHandle, seconds) {
      await queue.changeVisibility(receiptHandle, seconds * 1000);
    },
    async release(receiptHandle) {
      await queue.changeVisibility(receiptHandle, 0);
    },
    async sendLater(message, delaySeconds) {
      await queue.send(
        JSON.stringify(message),
        { type: message.type, generationId: message.generationId },
        delaySeconds * 1000,
      );
    },
  };
}
