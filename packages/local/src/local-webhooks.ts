import { jsonLogger } from '@genledger/adapters/json-logger';
import { webhookDeliveryMessage } from '@genledger/core/contracts/webhooks';
import { WEBHOOK_MAX_ATTEMPTS } from '@genledger/core/webhooks/retry-schedule';
import type { Database } from '@genledger/db/connect';
import type { LocalQueueStore } from '@genledger/db/local-queue-store';
import type { WebhookQueueBinding } from '@genledger/wiring/webhook-api';
import {
  createWebhookDeadLetterHandler,
  createWebhookHandler,
  type WebhookDepsOptions,
  webhookDeps,
} from '@genledger/wiring/webhooks';
import { LocalConsumer, LocalQueue } from './local-queue.ts';

export interface LocalWebhookOptions {
  /** Receives before the webhook DLQ (default WEBHOOK_MAX_ATTEMPTS: about a day at the default base). */
  maxReceiveCount?: number;
  overrides?: Partial<Omit<WebhookDepsOptions, 'binding'>>;
}

/** The webhook queue binding over a LocalQueue: ids out, ChangeMessageVisibility for backoff. */
export function localWebhookBinding(queue: LocalQueue): WebhookQueueBinding {
  return {
    queue: {
      async send(ids) {
        const failed: string[] = [];
        for (const id of ids) {
          try {
            await queue.send(JSON.stringify(webhookDeliveryMessage(id)), { type: 'webhook.delivery' });
          } catch {
            failed.push(id);
          }
        }
        return { failed };
      },
    },
    retryLater: async (receiptHandle, seconds) => {
      await queue.changeVisibility(receiptHandle, seconds * 1000);
    },
  };
}

/**
 * The webhook queue and its DLQ under `npm start`, consumed by the very handlers the delivery and
 * webhook dead-letter Lambdas run. Private targets are allowed by default here (local development),
 * unless WEBHOOK_ALLOW_PRIVATE_NETWORKS=false.
 */
export function startLocalWebhooks(
  database: Database,
  store: LocalQueueStore,
  env: NodeJS.ProcessEnv,
  // visibilityTimeoutMs: what a handler that died mid-send held is received again after it.
  options: LocalWebhookOptions & { idlePollMs: number; visibilityTimeoutMs: number },
) {
  const maxReceiveCount = options.maxReceiveCount ?? WEBHOOK_MAX_ATTEMPTS;
  const { visibilityTimeoutMs } = options;
  const deadLetter = new LocalQueue({
    name: 'genledger-local-webhooks-dlq',
    store,
    visibilityTimeoutMs,
  });
  const queue = new LocalQueue({
    name: 'genledger-local-webhooks',
    store,
    visibilityTimeoutMs,
    maxReceiveCount,
    deadLetter,
  });
  const binding = localWebhookBinding(queue);
  const deliver = createWebhookHandler({
    deps: async () =>
      webhookDeps(database, env, { allowPrivateByDefault: true, ...options.overrides, binding }),
  });
  const deadLettered = createWebhookDeadLetterHandler({
    deps: async () => ({
      database,
      maxReceiveCount,
      logger: jsonLogger('warn', { fn: 'webhook-dead-letter' }),
      queue: binding.queue,
    }),
  });
  const consumerOptions = { idlePollMs: options.idlePollMs };
  const consumers = [
    new LocalConsumer(queue, deliver, consumerOptions),
    new LocalConsumer(deadLetter, deadLettered, consumerOptions),
  ];
  return { queue, deadLetter, binding, consumers };
}
