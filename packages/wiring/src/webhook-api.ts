// The webhook parts the API and the worker use: the queue binding, the routes' dependencies and
// the dispatch after a worker's message. Apart from webhooks.ts so that their cold starts never
// load the delivery function's sender (Standard Webhooks signing, node:http, node:https).
import { sqsWebhookQueue } from '@genledger/adapters/webhooks/webhook-queue';
import { checkWebhookUrl } from '@genledger/adapters/webhooks/webhook-url-check';
import type { AppDeps } from '@genledger/api/deps';
import { resolveWebhookConfig } from '@genledger/core/config/webhook-config';
import { errorFields } from '@genledger/core/error-summary';
import type { Logger } from '@genledger/core/ports/logger';
import type { WebhookQueue } from '@genledger/core/ports/webhooks';
import { sendWebhookDeliveries } from '@genledger/core/use-cases/send-webhook-deliveries';
import { SecretBox } from '@genledger/core/webhooks/secret-box';
import type { Database } from '@genledger/db/connect';
import { storesOf } from './stores.ts';

/** The webhook queue: delivery ids out, and a received message handed back for its backoff. */
export interface WebhookQueueBinding {
  queue: WebhookQueue;
  retryLater(receiptHandle: string, seconds: number): Promise<void>;
}

/** SQS when WEBHOOK_QUEUE_URL is known (deployed: the linked `WebhookQueue`); otherwise none. */
export function configuredWebhookQueue(env: NodeJS.ProcessEnv): WebhookQueueBinding | undefined {
  return env.WEBHOOK_QUEUE_URL ? sqsWebhookQueue(env.WEBHOOK_QUEUE_URL) : undefined;
}

/** What the HTTP app's webhook routes need: the stores, the secret box, the URL check as the sender checks. */
export function webhookApiDeps(
  database: Database,
  env: NodeJS.ProcessEnv,
  options: { queue: WebhookQueue | undefined; allowPrivateByDefault: boolean },
): NonNullable<AppDeps['webhooks']> {
  const config = resolveWebhookConfig(env, { allowPrivateByDefault: options.allowPrivateByDefault });
  const stores = storesOf(database);
  return {
    endpoints: stores.webhookEndpoints,
    deliveries: stores.webhookDeliveries,
    log: stores.webhookLog,
    secrets: new SecretBox(config.secretsKeyMaterial),
    checkUrl: (url: string) => checkWebhookUrl(url, config.allowPrivateNetworks),
    ...(options.queue ? { queue: options.queue } : {}),
  };
}

/** Puts the unsent deliveries of these generations on the webhook queue (after a worker's batch). */
export function webhookDispatch(
  database: Database,
  binding: WebhookQueueBinding | undefined,
  logger: Logger,
) {
  if (!binding) return async () => {};
  const deliveries = storesOf(database).webhookDeliveries;
  return async (generationIds: readonly string[]) => {
    try {
      await sendWebhookDeliveries({ deliveries, queue: binding.queue }, { generationIds });
    } catch (e) {
      // Nothing is lost: the rows stay unsent and maintenance sends them.
      logger.warn('webhook deliveries not sent; maintenance will', errorFields(e));
    }
  };
}
