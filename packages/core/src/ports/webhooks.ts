import type { GenerationRecord } from '../contracts/generation.ts';
import type {
  DeliveryStatus,
  OperationalWebhookEvent,
  WebhookDelivery,
  WebhookDisabledReason,
  WebhookEventType,
} from '../contracts/webhooks.ts';
import type { Owner } from './principal.ts';

/** An endpoint as stored: its secrets are sealed (webhooks/secret-box.ts), never plaintext. */
export interface EndpointRecord {
  id: string;
  apiKeyId: string;
  url: string;
  events: WebhookEventType[];
  description: string;
  disabledAt: Date | null;
  disabledReason: WebhookDisabledReason | null;
  /** The first failed attempt since the last success (null: its last attempt succeeded). */
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface EndpointChanges {
  url?: string;
  events?: WebhookEventType[];
  description?: string;
  enabled?: boolean;
}

/** Subscriptions, as the HTTP edge manages them; every call is scoped to an owner. */
export interface WebhookEndpoints {
  /** Undefined when the key has reached MAX_WEBHOOK_ENDPOINTS_PER_KEY. */
  create(
    input: {
      apiKeyId: string;
      url: string;
      events: WebhookEventType[];
      description: string;
      sealedSecret: string;
    },
    metadata?: Record<string, unknown>,
  ): Promise<EndpointRecord | undefined>;
  list(owner: Owner): Promise<EndpointRecord[]>;
  get(id: string, owner: Owner): Promise<EndpointRecord | undefined>;
  /** Each change below commits with its audit event (WebhookEndpointChanged, …), `metadata` on it. */
  update(
    id: string,
    owner: Owner,
    changes: EndpointChanges,
    metadata?: Record<string, unknown>,
  ): Promise<EndpointRecord | undefined>;
  delete(id: string, owner: Owner, metadata?: Record<string, unknown>): Promise<boolean>;
  /** A new secret; the current one keeps signing beside it until `overlapUntil`. */
  rotate(
    id: string,
    owner: Owner,
    sealedSecret: string,
    overlapUntil: Date,
    metadata?: Record<string, unknown>,
  ): Promise<EndpointRecord | undefined>;
  /** A `webhook.ping` delivery to the endpoint, written unsent; its id, or undefined (no such endpoint). */
  ping(id: string, owner: Owner): Promise<string | undefined>;
  /** The key's default signing secret (sealed), made from `sealedIfMissing` the first time. */
  defaultSecret(apiKeyId: string, sealedIfMissing: string): Promise<string>;
}

/** Everything one delivery attempt needs, read in one statement. */
export interface DeliveryTarget {
  id: string;
  endpointId: string | null;
  status: DeliveryStatus;
  eventType: string;
  occurredAt: Date;
  generationId: string | null;
  /** What an operational event is about (a failed message, group, retry batch or endpoint id). */
  subjectId: string | null;
  /** The endpoint's URL, or the generation's own webhook; null when neither is there any more. */
  url: string | null;
  /** False when the endpoint is disabled (or gone): the delivery is skipped. */
  active: boolean;
  /** Sealed secrets that sign: the current one first, the previous one during a rotation's overlap. */
  sealedSecrets: string[];
  /** The key whose default secret signs a generation's own webhook, when it has none yet. */
  apiKeyId: string | null;
}

export interface AttemptRecord {
  status: DeliveryStatus;
  statusCode: number | null;
  latencyMs: number | null;
  error: string | null;
  /** The first bytes of the answer only (MAX_STORED_RESPONSE_BYTES). */
  response: string | null;
  nextAttemptAt: Date | null;
  /** When the attempt was made (the injected clock): a failure streak starts from it. */
  at: Date;
}

/** Why an endpoint is disabled by its deliveries, and since when they had been failing. */
export interface AutoDisable {
  reason: 'gone' | 'failing';
  /** For `failing`, the streak it was judged on: a success since then leaves the endpoint enabled. */
  failingSince: Date | null;
}

/** The delivery rows: what the queue carries ids of, and each attempt's outcome. */
export interface WebhookDeliveries {
  /** Deliveries not yet on the queue: for some generations or subjects, or all created before a time. */
  unsent(filter: {
    generationIds?: readonly string[];
    subjectIds?: readonly string[];
    ids?: readonly string[];
    createdBefore?: Date;
    limit: number;
  }): Promise<string[]>;
  markEnqueued(ids: readonly string[]): Promise<void>;
  /** The targets of these deliveries, in one read; a delivery that is not there is left out. */
  targets(ids: readonly string[]): Promise<DeliveryTarget[]>;
  /**
   * Records the attempt, and on its endpoint the failure streak: a success ends it, a failure
   * starts it if none is running. The endpoint's streak after it (undefined: no endpoint, or the
   * delivery was delivered already).
   */
  recordAttempt(id: string, attempt: AttemptRecord): Promise<{ failingSince: Date | null } | undefined>;
  /** Marks a dead-lettered delivery failed; what its last attempt got, or undefined (no such delivery). */
  markDeadLettered(
    id: string,
  ): Promise<{ endpointId: string | null; statusCode: number | null; error: string | null } | undefined>;
  /**
   * Disables the endpoint with its WebhookEndpointDisabled event, in one transaction (which writes
   * the deliveries that announce it); false when it was disabled already, or, for `failing`, when
   * its streak is not the one judged any more.
   */
  disableEndpoint(endpointId: string, why: AutoDisable): Promise<boolean>;
}

/** An endpoint's delivery log, newest first, and a redelivery, each scoped to an owner. */
export interface WebhookDeliveryLog {
  /** Undefined when the owner may not see the endpoint. `after`: the last row's created_at (text) and id. */
  page(
    endpointId: string,
    owner: Owner,
    options: { limit: number; after?: { value: string; id: string } },
  ): Promise<{ items: WebhookDelivery[]; next: { value: string; id: string } | null } | undefined>;
  /** Makes the delivery pending and unsent again (same webhook-id); false when the owner may not see it. */
  redeliver(id: string, owner: Owner): Promise<boolean>;
}

/** Where delivery ids go: the webhook queue (SQS deployed, the local queue under `npm start`). */
export interface WebhookQueue {
  /** Ids that could not be sent stay unsent; maintenance re-sends them. */
  send(deliveryIds: readonly string[]): Promise<{ failed: string[] }>;
}

export interface WebhookRequest {
  url: string;
  /** `webhook-id`: the delivery's id, the same for every attempt. */
  id: string;
  timestamp: Date;
  body: string;
  /** Plaintext signing secrets (`whsec_…`); the request carries a signature for each. */
  secrets: string[];
}

export type WebhookResponse =
  | { ok: true; status: number; latencyMs: number; body: string }
  | { ok: false; error: string; latencyMs: number; refused?: boolean };

/** POSTs one signed request; never follows a redirect, never reaches a refused address. */
export interface WebhookSender {
  send(request: WebhookRequest): Promise<WebhookResponse>;
}

/** Why a URL may not be subscribed (a private address, say), or undefined when it may. */
export type WebhookUrlCheck = (url: string) => Promise<string | undefined>;

/**
 * What an operational event's body carries as `data`: the failed message, failure group, retry
 * batch or endpoint as the API returns it now; undefined when it is gone.
 */
export type RenderResource = (event: OperationalWebhookEvent, subjectId: string) => Promise<unknown>;

/** A generation as the API returns it (outputs with fresh URLs once they exist). */
export type RenderGeneration = (generation: GenerationRecord) => Promise<unknown> | unknown;
