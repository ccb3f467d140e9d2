import type { DeliveryStatus, WebhookDelivery } from '../contracts/webhooks.ts';

/** An endpoint's figures are read over its newest this many deliveries: a bounded read per endpoint. */
export const RECENT_DELIVERIES = 100;

/** An endpoint as the console lists it, with how its newest deliveries went. */
export interface EndpointOverview {
  id: string;
  url: string;
  description: string;
  events: string[];
  apiKeyId: string;
  enabled: boolean;
  disabledReason: string | null;
  createdAt: string;
  /** Its newest deliveries (at most RECENT_DELIVERIES) by status. */
  recent: Record<DeliveryStatus, number>;
  lastDeliveryAt: string | null;
}

/** One attempt at a delivery, as the delivery worker recorded it. */
export interface DeliveryAttempt {
  attempt: number;
  status: string;
  statusCode: number | null;
  latencyMs: number | null;
  error: string | null;
  /** The first bytes of the receiver's answer (MAX_STORED_RESPONSE_BYTES), nothing more is kept. */
  response: string | null;
  attemptedAt: string;
}

/** A delivery with where it goes and every attempt, oldest first. */
export interface DeliveryDetail {
  delivery: WebhookDelivery;
  /** The endpoint's URL, or the generation's own webhook; null when neither is there any more. */
  url: string | null;
  attempts: DeliveryAttempt[];
}

/** The console's webhook pages: endpoints with their recent figures, deliveries, attempts. */
export interface WebhookConsoleReads {
  /** Every endpoint, oldest first, each with its newest deliveries' figures. */
  webhookEndpoints(): Promise<EndpointOverview[]>;
  /** One endpoint and its newest `limit` deliveries; undefined when there is no such endpoint. */
  endpointDeliveries(
    endpointId: string,
    limit: number,
  ): Promise<{ endpoint: EndpointOverview; deliveries: WebhookDelivery[] } | undefined>;
  /** One delivery with its attempts (at most the newest 100); undefined when there is none. */
  webhookDelivery(id: string): Promise<DeliveryDetail | undefined>;
}
