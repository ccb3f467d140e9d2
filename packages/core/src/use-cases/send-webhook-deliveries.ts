import type { WebhookDeliveries, WebhookQueue } from '../ports/webhooks.ts';

/**
 * Puts deliveries that are not on the webhook queue yet onto it: after the worker's batch (those of
 * its generations), after an operational event (those about its subject), and from maintenance (everything older than a grace, whose send failed or whose
 * sender died between its commit and its send). A delivery sent twice is delivered at least once:
 * its `webhook-id` lets the receiver drop the second.
 */
export async function sendWebhookDeliveries(
  deps: { deliveries: WebhookDeliveries; queue: WebhookQueue },
  filter: {
    generationIds?: readonly string[];
    /** What operational events are about: a failed message's or group's id, a batch's, an endpoint's. */
    subjectIds?: readonly string[];
    ids?: readonly string[];
    createdBefore?: Date;
    limit?: number;
  },
): Promise<number> {
  if (filter.generationIds?.length === 0 || filter.ids?.length === 0 || filter.subjectIds?.length === 0)
    return 0;
  const ids = await deps.deliveries.unsent({ ...filter, limit: filter.limit ?? 500 });
  if (ids.length === 0) return 0;
  const { failed } = await deps.queue.send(ids);
  const refused = new Set(failed);
  const sent = ids.filter((id) => !refused.has(id));
  await deps.deliveries.markEnqueued(sent);
  return sent.length;
}
