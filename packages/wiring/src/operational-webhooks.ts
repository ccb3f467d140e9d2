import { webhookEndpointBody } from '@genledger/api/serialize';
import { errorFields } from '@genledger/core/error-summary';
import type { Logger } from '@genledger/core/ports/logger';
import type { RenderResource, WebhookQueue } from '@genledger/core/ports/webhooks';
import { sendWebhookDeliveries } from '@genledger/core/use-cases/send-webhook-deliveries';
import type { Database } from '@genledger/db/connect';
import type { RetryBatchStore } from '@genledger/db/retry-batch-store';
import * as z from 'zod';
import { storesOf } from './stores.ts';

const isUuid = (id: string) => z.uuid().safeParse(id).success;

/** An operational event's `data`: the resource it is about, as the API's GET returns it now. */
export function resourceRenderer(database: Database): RenderResource {
  const stores = storesOf(database);
  return async (event, id) => {
    switch (event) {
      case 'failed_message.created':
        return stores.failedMessages.get(id);
      case 'failure_group.created':
      case 'failure_group.spiking':
        return stores.failedMessages.group(id);
      case 'retry_batch.completed':
        return isUuid(id) ? stores.retryBatches.get(id) : undefined;
      case 'webhook_endpoint.disabled': {
        const endpoint = isUuid(id) ? await stores.webhookEndpoints.get(id, { admin: true }) : undefined;
        return endpoint && webhookEndpointBody(endpoint);
      }
    }
  };
}

/** Puts the unsent deliveries about these subjects on the webhook queue; without a queue, maintenance does. */
export type Announce = (subjectIds: readonly string[]) => Promise<void>;

/**
 * Sends the deliveries an operational event wrote, right after the transaction that wrote them. A
 * send that fails loses nothing: the rows stay unsent and maintenance sends them.
 */
export function announcer(database: Database, queue: WebhookQueue | undefined, logger: Logger): Announce {
  if (!queue) return async () => {};
  const deliveries = storesOf(database).webhookDeliveries;
  return async (subjectIds) => {
    try {
      await sendWebhookDeliveries({ deliveries, queue }, { subjectIds });
    } catch (e) {
      logger.warn('operational webhook deliveries not sent; maintenance will', errorFields(e));
    }
  };
}

type Completes = Pick<RetryBatchStore, 'complete'>;

/** Retry batches whose completion sends its retry_batch.completed deliveries at once. */
export function announcedRetryBatches<T extends Completes>(store: T, announce: Announce): T {
  return Object.assign(Object.create(store) as T, {
    async complete(batchId: string) {
      await store.complete(batchId);
      await announce([batchId]);
    },
  });
}
