import {
  CreateWebhookEndpointBody,
  isOperationalEvent,
  UpdateWebhookEndpointBody,
  WebhookEndpoint,
  WebhookEndpointWithSecret,
  type WebhookEventType,
  WebhookSecret,
} from '@genledger/core/contracts/webhooks';
import { AppError, notFound, validationError } from '@genledger/core/errors';
import type { Owner } from '@genledger/core/ports/principal';
import { sendWebhookDeliveries } from '@genledger/core/use-cases/send-webhook-deliveries';
import { newSigningSecret } from '@genledger/core/webhooks/secret-box';
import * as z from 'zod';
import { IdParam } from '../contracts.ts';
import type { AppDeps } from '../deps.ts';
import { route } from './define.ts';
import { isUuid } from './is-uuid.ts';
import { webhookEndpointBody } from './serialize.ts';

/** How long a rotated-out secret keeps signing beside the new one. */
const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

const WebhookEndpointList = z.object({ items: z.array(WebhookEndpoint) });
const Deleted = z.object({ id: z.uuid(), deleted: z.literal(true) });
const PingSent = z.object({ deliveryId: z.uuid() });

function webhooksOf(deps: AppDeps): NonNullable<AppDeps['webhooks']> {
  if (!deps.webhooks) throw new AppError('unavailable', 'webhooks are not configured on this server');
  return deps.webhooks;
}

/** Why a webhook URL is refused by the SSRF rules (a 400 naming the reason), or undefined. */
export async function refusedWebhookUrl(deps: AppDeps, url: string, field = 'url') {
  const refused = await webhooksOf(deps).checkUrl(url);
  return refused
    ? validationError(`${field} is refused: ${refused}`, [{ field, message: refused }])
    : undefined;
}

async function checkUrl(deps: AppDeps, url: string | undefined) {
  if (url === undefined) return;
  const refused = await refusedWebhookUrl(deps, url);
  if (refused) throw refused;
}

/**
 * Operational events concern every key's failures, so only an admin key's endpoint may hear them: a
 * 400 naming them for any other key, nothing written.
 */
function checkEventsAllowed(
  events: readonly WebhookEventType[] | undefined,
  principal: { apiKeyId: string; isAdmin: boolean },
  endpointKey: string = principal.apiKeyId,
) {
  const operational = (events ?? []).filter(isOperationalEvent);
  if (operational.length === 0) return;
  const why = !principal.isAdmin
    ? 'need an admin key'
    : endpointKey !== principal.apiKeyId
      ? "go to an admin key's own endpoints only"
      : undefined;
  if (!why) return;
  const message = `${operational.join(', ')} ${why}`;
  throw validationError(`events: ${message}`, [{ field: 'events', message }]);
}

const uuidOr404 = (id: string) => {
  if (!isUuid(id)) throw notFound(`webhook endpoint ${id} not found`);
  return id;
};

async function found<T>(id: string, value: Promise<T | undefined>): Promise<T> {
  const v = await value;
  if (v === undefined) throw notFound(`webhook endpoint ${id} not found`);
  return v;
}

const ownerKey = (owner: Owner, apiKeyId: string) => (owner.admin ? apiKeyId : owner.apiKeyId);

const createEndpoint = route({
  method: 'post',
  path: '/webhook-endpoints',
  operationId: 'createWebhookEndpoint',
  summary: 'Subscribe a URL to events; the signing secret is in this response only',
  tag: 'webhooks',
  access: 'key',
  body: CreateWebhookEndpointBody,
  responses: {
    201: {
      description: 'Created',
      schema: WebhookEndpointWithSecret,
      headers: { Location: { description: "The endpoint's URL", schema: z.string() } },
    },
    409: { description: 'The key has as many endpoints as it may' },
  },
  async handler(ctx) {
    const hooks = webhooksOf(ctx.deps);
    checkEventsAllowed(ctx.body.events, ctx.principal!);
    await checkUrl(ctx.deps, ctx.body.url);
    const secret = newSigningSecret();
    const created = await hooks.endpoints.create(
      {
        apiKeyId: ownerKey(ctx.owner, ctx.principal!.apiKeyId),
        url: ctx.body.url,
        events: ctx.body.events,
        description: ctx.body.description,
        sealedSecret: hooks.secrets.seal(secret),
      },
      ctx.metadata,
    );
    if (!created) throw new AppError('conflict', 'this key has as many webhook endpoints as it may');
    return {
      status: 201,
      body: { ...webhookEndpointBody(created), secret },
      headers: { Location: `/webhook-endpoints/${created.id}`, 'Cache-Control': 'no-store' },
    };
  },
});

const listEndpoints = route({
  method: 'get',
  path: '/webhook-endpoints',
  operationId: 'listWebhookEndpoints',
  summary: "The caller's endpoints (every key's for an admin)",
  tag: 'webhooks',
  access: 'key',
  responses: { 200: { description: 'Endpoints in creation order', schema: WebhookEndpointList } },
  async handler(ctx) {
    const items = await webhooksOf(ctx.deps).endpoints.list(ctx.owner);
    return { status: 200, body: { items: items.map(webhookEndpointBody) } };
  },
});

const getEndpoint = route({
  method: 'get',
  path: '/webhook-endpoints/{id}',
  operationId: 'getWebhookEndpoint',
  summary: 'One endpoint',
  tag: 'webhooks',
  access: 'key',
  params: IdParam,
  responses: {
    200: { description: 'The endpoint', schema: WebhookEndpoint },
    404: { description: 'Not found' },
  },
  async handler(ctx) {
    const id = uuidOr404(ctx.params.id);
    const e = await found(id, webhooksOf(ctx.deps).endpoints.get(id, ctx.owner));
    return { status: 200, body: webhookEndpointBody(e) };
  },
});

const updateEndpoint = route({
  method: 'patch',
  path: '/webhook-endpoints/{id}',
  operationId: 'updateWebhookEndpoint',
  summary: 'Change the URL, events or description; `enabled: false` disables, `true` enables again',
  tag: 'webhooks',
  access: 'key',
  params: IdParam,
  body: UpdateWebhookEndpointBody,
  responses: {
    200: { description: 'The endpoint', schema: WebhookEndpoint },
    404: { description: 'Not found' },
  },
  async handler(ctx) {
    const id = uuidOr404(ctx.params.id);
    const endpoints = webhooksOf(ctx.deps).endpoints;
    if (ctx.body.events?.some(isOperationalEvent)) {
      const current = await found(id, endpoints.get(id, ctx.owner));
      checkEventsAllowed(ctx.body.events, ctx.principal!, current.apiKeyId);
    }
    await checkUrl(ctx.deps, ctx.body.url);
    const e = await found(id, endpoints.update(id, ctx.owner, ctx.body, ctx.metadata));
    return { status: 200, body: webhookEndpointBody(e) };
  },
});

const deleteEndpoint = route({
  method: 'delete',
  path: '/webhook-endpoints/{id}',
  operationId: 'deleteWebhookEndpoint',
  summary: 'Delete an endpoint and its delivery log; nothing more is sent to it',
  tag: 'webhooks',
  access: 'key',
  params: IdParam,
  responses: { 200: { description: 'Deleted', schema: Deleted }, 404: { description: 'Not found' } },
  async handler(ctx) {
    const id = uuidOr404(ctx.params.id);
    if (!(await webhooksOf(ctx.deps).endpoints.delete(id, ctx.owner, ctx.metadata)))
      throw notFound(`webhook endpoint ${id} not found`);
    return { status: 200, body: { id, deleted: true as const } };
  },
});

const rotateSecret = route({
  method: 'post',
  path: '/webhook-endpoints/{id}/rotate-secret',
  operationId: 'rotateWebhookEndpointSecret',
  summary: 'A new signing secret, in this response only; the old one keeps signing beside it for 24 h',
  tag: 'webhooks',
  access: 'key',
  params: IdParam,
  responses: {
    200: { description: 'The endpoint and its new secret', schema: WebhookEndpointWithSecret },
    404: { description: 'Not found' },
  },
  async handler(ctx) {
    const id = uuidOr404(ctx.params.id);
    const hooks = webhooksOf(ctx.deps);
    const secret = newSigningSecret();
    const overlapUntil = new Date(Date.now() + ROTATION_OVERLAP_MS);
    const e = await found(
      id,
      hooks.endpoints.rotate(id, ctx.owner, hooks.secrets.seal(secret), overlapUntil, ctx.metadata),
    );
    return {
      status: 200,
      body: { ...webhookEndpointBody(e), secret },
      headers: { 'Cache-Control': 'no-store' },
    };
  },
});

const testEndpoint = route({
  method: 'post',
  path: '/webhook-endpoints/{id}/test',
  operationId: 'testWebhookEndpoint',
  summary: 'Send a signed `webhook.ping` to the endpoint',
  tag: 'webhooks',
  access: 'key',
  params: IdParam,
  responses: {
    202: { description: 'The ping is on its way', schema: PingSent },
    404: { description: 'Not found' },
  },
  async handler(ctx) {
    const id = uuidOr404(ctx.params.id);
    const hooks = webhooksOf(ctx.deps);
    const deliveryId = await found(id, hooks.endpoints.ping(id, ctx.owner));
    // Not on the queue yet (no queue, or the send failed): maintenance sends it.
    if (hooks.queue)
      await sendWebhookDeliveries(
        { deliveries: hooks.deliveries, queue: hooks.queue },
        { ids: [deliveryId] },
      );
    return { status: 202, body: { deliveryId } };
  },
});

const defaultSecret = route({
  method: 'get',
  path: '/webhooks/default/secret',
  operationId: 'getDefaultWebhookSecret',
  summary: "The secret that signs this key's per-generation webhooks (`webhook` on POST /generations)",
  tag: 'webhooks',
  access: 'key',
  responses: { 200: { description: 'The secret', schema: WebhookSecret } },
  async handler(ctx) {
    const hooks = webhooksOf(ctx.deps);
    const sealed = await hooks.endpoints.defaultSecret(
      ctx.principal!.apiKeyId,
      hooks.secrets.seal(newSigningSecret()),
    );
    return {
      status: 200,
      body: { key: hooks.secrets.open(sealed) },
      headers: { 'Cache-Control': 'no-store' },
    };
  },
});

export const webhookRoutes = [
  createEndpoint,
  listEndpoints,
  getEndpoint,
  updateEndpoint,
  deleteEndpoint,
  rotateSecret,
  testEndpoint,
  defaultSecret,
];
