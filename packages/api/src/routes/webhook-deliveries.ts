import { WebhookDelivery } from '@genledger/core/contracts/webhooks';
import { AppError, notFound } from '@genledger/core/errors';
import { sendWebhookDeliveries } from '@genledger/core/use-cases/send-webhook-deliveries';
import * as z from 'zod';
import { IdParam } from '../contracts.ts';
import type { AppDeps } from '../deps.ts';
import { keysetPaging, pageCursor, pageLimit } from '../paging.ts';
import { route } from './define.ts';
import { isUuid } from './is-uuid.ts';

const DeliveryPage = z.object({ items: z.array(WebhookDelivery), nextCursor: z.string().nullable() });
const DeliveryQuery = z.object({ limit: pageLimit, cursor: pageCursor.optional() });
const Redelivered = z.object({ deliveryId: z.uuid() });

const pages = keysetPaging({ key: z.string(), id: z.uuid() });

function hooksOf(deps: AppDeps): NonNullable<AppDeps['webhooks']> {
  if (!deps.webhooks) throw new AppError('unavailable', 'webhooks are not configured on this server');
  return deps.webhooks;
}

const listDeliveries = route({
  method: 'get',
  path: '/webhook-endpoints/{id}/deliveries',
  operationId: 'listWebhookDeliveries',
  summary:
    "An endpoint's deliveries, newest first: event, attempts, last status code and latency, next retry",
  tag: 'webhooks',
  access: 'key',
  params: IdParam,
  query: DeliveryQuery,
  responses: {
    200: { description: 'One page; nextCursor is null on the last', schema: DeliveryPage },
    404: { description: 'Not found' },
  },
  async handler(ctx) {
    const { id } = ctx.params;
    if (!isUuid(id)) throw notFound(`webhook endpoint ${id} not found`);
    const page = pages(ctx.deps.cursors, { ...ctx.query, sort: '-createdAt' }, [id]);
    const found = await hooksOf(ctx.deps).log.page(id, ctx.owner, {
      limit: page.limit,
      ...(page.after ? { after: page.after } : {}),
    });
    if (!found) throw notFound(`webhook endpoint ${id} not found`);
    return { status: 200, body: { items: found.items, nextCursor: page.nextCursor(found.next) } };
  },
});

const redeliver = route({
  method: 'post',
  path: '/webhook-deliveries/{id}/redeliver',
  operationId: 'redeliverWebhook',
  summary: 'Send a delivery again, with the same webhook-id (receivers that deduplicate see it once)',
  tag: 'webhooks',
  access: 'key',
  params: IdParam,
  responses: { 202: { description: 'On its way', schema: Redelivered }, 404: { description: 'Not found' } },
  async handler(ctx) {
    const { id } = ctx.params;
    const hooks = hooksOf(ctx.deps);
    if (!isUuid(id) || !(await hooks.log.redeliver(id, ctx.owner)))
      throw notFound(`webhook delivery ${id} not found`);
    if (hooks.queue)
      await sendWebhookDeliveries({ deliveries: hooks.deliveries, queue: hooks.queue }, { ids: [id] });
    return { status: 202, body: { deliveryId: id } };
  },
});

export const webhookDeliveryRoutes = [listDeliveries, redeliver];
