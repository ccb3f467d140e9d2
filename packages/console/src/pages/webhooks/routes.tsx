/** @jsxImportSource hono/jsx */
import { sendWebhookDeliveries } from '@genledger/core/use-cases/send-webhook-deliveries';
import type { Hono } from 'hono';
import * as z from 'zod';
import type { ConsoleContext, ConsoleEnv, ConsoleServices } from '../../env.ts';
import { setFlash } from '../../session/flash-cookie.ts';
import { Flash } from '../../ui/flash.tsx';
import { render } from '../../ui/render.tsx';
import { DeliveryPage } from './delivery-page.tsx';
import { EndpointPage, EndpointsPage } from './endpoints-page.tsx';

const SECTION = '/console/webhooks';
/** An endpoint's page lists this many of its newest deliveries. */
const DELIVERY_PAGE = 50;

const isUuid = (id: string) => z.uuid().safeParse(id).success;

const notFound = (c: ConsoleContext, what: string) =>
  render(c, 'Not found', <Flash kind="error">No {what}</Flash>, { status: 404, section: SECTION });

/** Webhooks (admins): endpoints with their figures, an endpoint's deliveries, one delivery, redelivery. */
export function registerWebhookPages(app: Hono<ConsoleEnv>, s: ConsoleServices) {
  const { deps } = s;

  app.get('/webhooks', async (c) => {
    const [endpoints, names] = await Promise.all([
      deps.readModel.webhookEndpoints(),
      deps.readModel.keyNames(),
    ]);
    return render(c, 'Webhooks', <EndpointsPage endpoints={endpoints} names={names} />, { section: SECTION });
  });

  app.get('/webhooks/endpoints/:id', async (c) => {
    const id = c.req.param('id').toLowerCase();
    const found = isUuid(id) ? await deps.readModel.endpointDeliveries(id, DELIVERY_PAGE) : undefined;
    if (!found) return notFound(c, `webhook endpoint ${id}`);
    const names = await deps.readModel.keyNames();
    return render(c, 'Webhook endpoint', <EndpointPage {...found} names={names} />, { section: SECTION });
  });

  app.get('/webhooks/deliveries/:id', async (c) => {
    const id = c.req.param('id').toLowerCase();
    const detail = isUuid(id) ? await deps.readModel.webhookDelivery(id) : undefined;
    if (!detail) return notFound(c, `webhook delivery ${id}`);
    return render(
      c,
      'Webhook delivery',
      <DeliveryPage ctx={c.get('page')} detail={detail} canRedeliver={deps.webhooks !== undefined} />,
      { section: SECTION },
    );
  });

  // The API's redelivery: pending and unsent again with the same webhook-id, then onto the
  // webhook queue at once where there is one (else maintenance sends it).
  app.post('/webhooks/deliveries/:id/redeliver', async (c) => {
    const id = c.req.param('id').toLowerCase();
    const hooks = deps.webhooks;
    if (!hooks)
      return render(c, 'Webhooks', <Flash kind="error">Webhooks are not configured.</Flash>, { status: 503 });
    if (!isUuid(id) || !(await hooks.log.redeliver(id, { admin: true })))
      return notFound(c, `webhook delivery ${id}`);
    const sent = hooks.queue
      ? await sendWebhookDeliveries({ deliveries: hooks.deliveries, queue: hooks.queue }, { ids: [id] })
      : 0;
    const text = sent ? 'Redelivery queued.' : 'Redelivery recorded; maintenance sends it.';
    setFlash(c, deps.sessionSecret, { kind: 'ok', text }, s.now());
    return c.redirect(`/console/webhooks/deliveries/${id}`, 303);
  });
}
