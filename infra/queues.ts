import {
  DEAD_LETTER_TIMEOUT_S,
  MAX_RECEIVE_COUNT,
  WEBHOOK_MAX_RECEIVE_COUNT,
  WEBHOOK_TIMEOUT_S,
  WORKER_TIMEOUT_S,
} from './settings';

/** The work queue and its dead-letter queue; the webhook queue and its own. */
export function queues() {
  const deadLetterQueue = new sst.aws.Queue('DeadLetterQueue', {
    // Lambda refuses a mapping whose queue's visibility timeout is below the function's timeout
    // (SQS's default 30 s < the DLQ handler's 60 s); six times it, as for the main queue.
    visibilityTimeout: `${6 * DEAD_LETTER_TIMEOUT_S} seconds`,
    // Longer than the main queue's 4 days: operators get two weeks to look before SQS drops it.
    transform: { queue: { messageRetentionSeconds: 14 * 24 * 3600 } },
  });
  const queue = new sst.aws.Queue('Queue', {
    visibilityTimeout: `${6 * WORKER_TIMEOUT_S} seconds`,
    dlq: { queue: deadLetterQueue.arn, retry: MAX_RECEIVE_COUNT },
    transform: { queue: { messageRetentionSeconds: 4 * 24 * 3600 } },
  });
  const webhookDeadLetterQueue = new sst.aws.Queue('WebhookDeadLetterQueue', {
    visibilityTimeout: `${6 * DEAD_LETTER_TIMEOUT_S} seconds`,
    transform: { queue: { messageRetentionSeconds: 14 * 24 * 3600 } },
  });
  // A delivery's retries span about 29 h (changed visibility per attempt): kept 4 days, as the main queue.
  const webhookQueue = new sst.aws.Queue('WebhookQueue', {
    visibilityTimeout: `${6 * WEBHOOK_TIMEOUT_S} seconds`,
    dlq: { queue: webhookDeadLetterQueue.arn, retry: WEBHOOK_MAX_RECEIVE_COUNT },
    transform: { queue: { messageRetentionSeconds: 4 * 24 * 3600 } },
  });
  return { queue, deadLetterQueue, webhookQueue, webhookDeadLetterQueue };
}
