import * as z from 'zod';
import { text } from './storable.ts';

/** What an endpoint can subscribe to: the generations of the key that owns it. */
export const GENERATION_WEBHOOK_EVENTS = [
  'generation.started',
  'generation.completed',
  'generation.failed',
  'generation.cancelled',
] as const;
/**
 * What only an admin key's endpoints can subscribe to: the failed-message store's and the webhooks'
 * own incidents, whoever's generations they concern.
 */
export const OPERATIONAL_WEBHOOK_EVENTS = [
  'failed_message.created',
  'failure_group.created',
  'failure_group.spiking',
  'retry_batch.completed',
  'webhook_endpoint.disabled',
] as const;
const WEBHOOK_EVENTS = [...GENERATION_WEBHOOK_EVENTS, ...OPERATIONAL_WEBHOOK_EVENTS] as const;
export const WebhookEventType = z.enum(WEBHOOK_EVENTS);
export type WebhookEventType = z.infer<typeof WebhookEventType>;
export type OperationalWebhookEvent = (typeof OPERATIONAL_WEBHOOK_EVENTS)[number];

export const isOperationalEvent = (e: string): e is OperationalWebhookEvent =>
  (OPERATIONAL_WEBHOOK_EVENTS as readonly string[]).includes(e);

/**
 * The domain event each webhook event is raised by; the trigger of migration 0016 maps the same.
 * `failed_message.created` is a message's first dead-lettering: a MessageDeadLettered whose message
 * has one attempt.
 */
export const WEBHOOK_EVENT_OF: Record<WebhookEventType, string> = {
  'generation.started': 'GenerationStarted',
  'generation.completed': 'GenerationCompleted',
  'generation.failed': 'GenerationFailed',
  'generation.cancelled': 'GenerationCancelled',
  'failed_message.created': 'MessageDeadLettered',
  'failure_group.created': 'FailureGroupCreated',
  'failure_group.spiking': 'FailureGroupSpiking',
  'retry_batch.completed': 'RetryBatchCompleted',
  'webhook_endpoint.disabled': 'WebhookEndpointDisabled',
};

/** Sent by `POST /webhook-endpoints/{id}/test` only; no subscription is needed for it. */
export const PING_EVENT = 'webhook.ping';

export const MAX_WEBHOOK_URL_LENGTH = 2048;
export const MAX_WEBHOOK_DESCRIPTION_LENGTH = 500;
/** At most this many endpoints per key: each is a row every matching event fans out to. */
export const MAX_WEBHOOK_ENDPOINTS_PER_KEY = 20;

export const WebhookUrl = text()
  .max(MAX_WEBHOOK_URL_LENGTH)
  .pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }));

const Events = z.array(WebhookEventType).min(1).max(WEBHOOK_EVENTS.length);

export const CreateWebhookEndpointBody = z.strictObject({
  url: WebhookUrl,
  events: Events.default([...GENERATION_WEBHOOK_EVENTS]),
  description: text().max(MAX_WEBHOOK_DESCRIPTION_LENGTH).default(''),
});
export type CreateWebhookEndpointBody = z.output<typeof CreateWebhookEndpointBody>;

export const UpdateWebhookEndpointBody = z
  .strictObject({
    url: WebhookUrl.optional(),
    events: Events.optional(),
    description: text().max(MAX_WEBHOOK_DESCRIPTION_LENGTH).optional(),
    /** false disables the endpoint (nothing is sent to it); true enables it again. */
    enabled: z.boolean().optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'nothing to change' });
export type UpdateWebhookEndpointBody = z.output<typeof UpdateWebhookEndpointBody>;

/**
 * Why an endpoint is disabled: an operator said so, the receiver answered 410 Gone, or its
 * deliveries failed without a success for the auto-disable period (WEBHOOK_DISABLE_AFTER_FAILING_S).
 */
export const WEBHOOK_DISABLED_REASONS = ['operator', 'gone', 'failing'] as const;
export type WebhookDisabledReason = (typeof WEBHOOK_DISABLED_REASONS)[number];

/** An endpoint as the API returns it: never its secret (shown once, at creation and rotation). */
export const WebhookEndpoint = z.object({
  id: z.uuid(),
  url: z.string(),
  events: z.array(WebhookEventType),
  description: z.string(),
  enabled: z.boolean(),
  disabledReason: z.enum(WEBHOOK_DISABLED_REASONS).nullable(),
  disabledAt: z.iso.datetime().nullable(),
  /** The first failed attempt since the last success; null while its last attempt succeeded. */
  failingSince: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

/** The signing secret, Standard Webhooks' `whsec_` + base64 form. */
export const WebhookSecret = z.strictObject({ key: z.string().regex(/^whsec_/) });

export const WebhookEndpointWithSecret = WebhookEndpoint.extend({ secret: z.string().regex(/^whsec_/) });

export const DELIVERY_STATUSES = ['pending', 'delivered', 'retrying', 'failed', 'skipped'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** The message the webhook queue carries: which delivery row to send. */
export const WebhookDeliveryMessage = z.strictObject({
  type: z.literal('webhook.delivery'),
  version: z.literal(1),
  deliveryId: z.uuid(),
});
export type WebhookDeliveryMessage = z.infer<typeof WebhookDeliveryMessage>;
export const WEBHOOK_MESSAGE_TYPE = 'webhook.delivery';

export const webhookDeliveryMessage = (deliveryId: string): WebhookDeliveryMessage => ({
  type: WEBHOOK_MESSAGE_TYPE,
  version: 1,
  deliveryId,
});

/** One delivery in an endpoint's log: its latest attempt, and when the next one is due. */
export const WebhookDelivery = z.object({
  id: z.uuid(),
  endpointId: z.uuid().nullable(),
  eventType: z.string(),
  generationId: z.uuid().nullable(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.int(),
  lastStatusCode: z.int().nullable(),
  lastLatencyMs: z.int().nullable(),
  lastError: z.string().nullable(),
  lastResponse: z.string().nullable(),
  createdAt: z.iso.datetime(),
  lastAttemptAt: z.iso.datetime().nullable(),
  nextAttemptAt: z.iso.datetime().nullable(),
  deliveredAt: z.iso.datetime().nullable(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;
