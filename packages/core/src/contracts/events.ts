import * as z from 'zod';
import { GenerationRequest } from './generation.ts';
import { RecordedIdempotencyKey } from './idempotency-key.ts';
import { MAX_ERROR_MESSAGE_LENGTH, MAX_ERROR_TYPE_LENGTH } from './limits.ts';
import { MessageFieldChange } from './message-edit.ts';
import { KeptOutput } from './outputs.ts';
import { WebhookEventType } from './webhooks.ts';

const uuid = z.uuid();
const ErrorInfo = z.object({
  type: z.string().max(MAX_ERROR_TYPE_LENGTH),
  message: z.string().max(MAX_ERROR_MESSAGE_LENGTH),
});

export const GenerationRequested = z.object({
  type: z.literal('GenerationRequested'),
  generationId: uuid,
  apiKeyId: uuid.nullable(),
  request: GenerationRequest,
  idempotencyKey: RecordedIdempotencyKey.nullable().optional(),
  source: z.enum(['http', 'queue']),
});
export const GenerationStarted = z.object({
  type: z.literal('GenerationStarted'),
  generationId: uuid,
  model: z.string(),
  attempt: z.int().min(1),
  messageId: z.string().nullable(),
});
export const GenerationCompleted = z.object({
  type: z.literal('GenerationCompleted'),
  generationId: uuid,
  model: z.string(),
  attempt: z.int().min(1),
  /** The first output's store key (kept while the API still derives outputPath from it). */
  outputPath: z.string(),
  thumbnailPath: z.string().nullable(),
  durationMs: z.int().min(0),
  /** Every output kept, by store key (absent in events written before outputs were kept). */
  outputs: z.array(KeptOutput).optional(),
});
export const GenerationAttemptFailed = z.object({
  type: z.literal('GenerationAttemptFailed'),
  generationId: uuid,
  model: z.string(),
  attempt: z.int().min(1),
  error: ErrorInfo,
  retriable: z.boolean(),
});
export const GenerationFailed = z.object({
  type: z.literal('GenerationFailed'),
  generationId: uuid,
  model: z.string(),
  attempts: z.int().min(0),
  reason: z.enum(['permanent-error', 'dead-lettered', 'invalid-message']),
  error: ErrorInfo,
  durationMs: z.int().min(0).nullable(),
});
export const GenerationCancelled = z.object({
  type: z.literal('GenerationCancelled'),
  generationId: uuid,
  model: z.string(),
  /** The attempt that was running and was closed with it; null when nothing ran (or absent, before). */
  attempt: z.int().min(1).nullable().optional(),
});
/** An operator retried a failed generation's message: it is pending again. */
export const GenerationRequeued = z.object({
  type: z.literal('GenerationRequeued'),
  generationId: uuid,
  model: z.string(),
  retryBatchId: z.uuid().nullable(),
});
export const ApiKeyCreated = z.object({
  type: z.literal('ApiKeyCreated'),
  apiKeyId: uuid,
  name: z.string(),
  prefix: z.string(),
  isAdmin: z.boolean(),
});
export const ApiKeyRevoked = z.object({ type: z.literal('ApiKeyRevoked'), apiKeyId: uuid });
export const MessageDeadLettered = z.object({
  type: z.literal('MessageDeadLettered'),
  failedMessageId: z.string(),
  generationId: uuid.nullable(),
  messageType: z.string(),
  receiveCount: z.int().min(0),
  queue: z.string(),
});
export const FailedMessageStatusChanged = z.object({
  type: z.literal('FailedMessageStatusChanged'),
  failedMessageId: z.string(),
  from: z.string(),
  to: z.string(),
  retryBatchId: z.uuid().nullable().optional(),
});
/**
 * An operator edited a failed message and sent it as a new attempt (retry batch `retryBatchId`):
 * what changed, and why; who is the event's metadata. The stored body stays as it failed.
 */
export const FailedMessageEdited = z.object({
  type: z.literal('FailedMessageEdited'),
  failedMessageId: z.string(),
  generationId: uuid,
  retryBatchId: uuid,
  reason: z.string(),
  changes: z.array(MessageFieldChange),
});
/** A dead-lettering classified a failure no group held before. */
export const FailureGroupCreated = z.object({
  type: z.literal('FailureGroupCreated'),
  groupId: z.string(),
  classifier: z.string(),
  title: z.string(),
});
/**
 * A group's dead-letterings within the spike window reached the threshold while it was not spiking
 * (failure-spikes.ts): raised once per spike.
 */
export const FailureGroupSpiking = z.object({
  type: z.literal('FailureGroupSpiking'),
  groupId: z.string(),
  failures: z.int().min(0),
  windowMinutes: z.number().positive(),
  threshold: z.int().min(1),
});
/** A retry batch re-sent everything it could: its final counts. */
export const RetryBatchCompleted = z.object({
  type: z.literal('RetryBatchCompleted'),
  retryBatchId: uuid,
  total: z.int().min(0),
  sent: z.int().min(0),
  failed: z.int().min(0),
  skipped: z.int().min(0),
});
/** An endpoint was disabled by what its deliveries met: a 410 Gone, or failures for too long. */
export const WebhookEndpointDisabled = z.object({
  type: z.literal('WebhookEndpointDisabled'),
  endpointId: uuid,
  apiKeyId: uuid,
  reason: z.enum(['gone', 'failing']),
  /** The first failed attempt of the streak that disabled it (null for a 410 after a success). */
  failingSince: z.iso.datetime().nullable(),
});
/**
 * Where an endpoint sends, as an audit trail keeps it: origin and path, without the query or
 * fragment, which may carry a receiver's credentials.
 */
const WebhookTarget = z.string();
/** An endpoint was subscribed (`POST /webhook-endpoints`); `metadata.actor` says by which key. */
export const WebhookEndpointCreated = z.object({
  type: z.literal('WebhookEndpointCreated'),
  endpointId: uuid,
  apiKeyId: uuid,
  target: WebhookTarget,
  events: z.array(WebhookEventType),
});
/** An endpoint was changed by a key (`PATCH`): only what the change named. */
export const WebhookEndpointChanged = z.object({
  type: z.literal('WebhookEndpointChanged'),
  endpointId: uuid,
  apiKeyId: uuid,
  target: WebhookTarget.optional(),
  events: z.array(WebhookEventType).optional(),
  descriptionChanged: z.literal(true).optional(),
  enabled: z.boolean().optional(),
});
/** A new signing secret; the old one signs beside it until `overlapUntil`. */
export const WebhookEndpointSecretRotated = z.object({
  type: z.literal('WebhookEndpointSecretRotated'),
  endpointId: uuid,
  apiKeyId: uuid,
  overlapUntil: z.iso.datetime(),
});
/** An endpoint was deleted with its delivery log. */
export const WebhookEndpointDeleted = z.object({
  type: z.literal('WebhookEndpointDeleted'),
  endpointId: uuid,
  apiKeyId: uuid,
});
export const SettingChanged = z.object({
  type: z.literal('SettingChanged'),
  key: z.string(),
  value: z.unknown(),
});

export const DomainEvent = z.discriminatedUnion('type', [
  GenerationRequested,
  GenerationStarted,
  GenerationCompleted,
  GenerationAttemptFailed,
  GenerationFailed,
  GenerationCancelled,
  GenerationRequeued,
  ApiKeyCreated,
  ApiKeyRevoked,
  MessageDeadLettered,
  FailedMessageStatusChanged,
  FailedMessageEdited,
  FailureGroupCreated,
  FailureGroupSpiking,
  RetryBatchCompleted,
  WebhookEndpointDisabled,
  WebhookEndpointCreated,
  WebhookEndpointChanged,
  WebhookEndpointSecretRotated,
  WebhookEndpointDeleted,
  SettingChanged,
]);
export type DomainEvent = z.infer<typeof DomainEvent>;
export type EventType = DomainEvent['type'];
export type EventOf<T extends EventType> = Extract<DomainEvent, { type: T }>;

/**
 * Payload schema version per event type. Bump it when a payload changes shape and register an
 * upcaster (see the event store's `upcasters` option) so old rows still read as the current shape.
 */
export const EVENT_VERSIONS: Record<EventType, number> = {
  GenerationRequested: 1,
  GenerationStarted: 1,
  GenerationCompleted: 1,
  GenerationAttemptFailed: 1,
  GenerationFailed: 1,
  GenerationCancelled: 1,
  GenerationRequeued: 1,
  ApiKeyCreated: 1,
  ApiKeyRevoked: 1,
  MessageDeadLettered: 1,
  FailedMessageStatusChanged: 1,
  FailedMessageEdited: 1,
  FailureGroupCreated: 1,
  FailureGroupSpiking: 1,
  RetryBatchCompleted: 1,
  WebhookEndpointDisabled: 1,
  WebhookEndpointCreated: 1,
  WebhookEndpointChanged: 1,
  WebhookEndpointSecretRotated: 1,
  WebhookEndpointDeleted: 1,
  SettingChanged: 1,
};

/** Stream ids are a kind's prefix and the entity's id; SQL that names a stream by a column uses the same prefix. */
export const STREAM_PREFIXES = {
  generation: 'generation-',
  apiKey: 'api-key-',
  failedMessage: 'failed-message-',
  failureGroup: 'failure-group-',
  retryBatch: 'retry-batch-',
  webhookEndpoint: 'webhook-endpoint-',
} as const;
export type StreamKind = keyof typeof STREAM_PREFIXES;

export const streams = {
  generation: (id: string) => `${STREAM_PREFIXES.generation}${id}`,
  apiKey: (id: string) => `${STREAM_PREFIXES.apiKey}${id}`,
  failedMessage: (id: string) => `${STREAM_PREFIXES.failedMessage}${id}`,
  failureGroup: (id: string) => `${STREAM_PREFIXES.failureGroup}${id}`,
  retryBatch: (id: string) => `${STREAM_PREFIXES.retryBatch}${id}`,
  webhookEndpoint: (id: string) => `${STREAM_PREFIXES.webhookEndpoint}${id}`,
  settings: () => 'settings',
};
