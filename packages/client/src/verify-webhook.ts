import { Webhook, WebhookVerificationError } from 'standardwebhooks';

export { WebhookVerificationError };

/**
 * What every webhook carries: the event's type (`generation.completed`, `webhook.ping`…), when it
 * happened, and the resource as the API answers it (a `Generation` for `generation.*` events).
 */
export interface WebhookMessage<Data = unknown> {
  type: string;
  timestamp: string;
  data: Data;
}

type HeaderBag = Headers | Record<string, string | readonly string[] | undefined>;

/** A received request: a web `Request`, or its headers and exact body (Node's `req.headers`, raw bytes). */
type Received = Request | { headers: HeaderBag; body: string | Uint8Array };

function headerRecord(headers: HeaderBag): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = headers instanceof Headers ? headers.entries() : Object.entries(headers);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = typeof value === 'string' ? value : value.join(', ');
  }
  return out;
}

/**
 * Checks a webhook's Standard Webhooks signature (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`) over its exact body, and a timestamp within 5 minutes, with the endpoint's
 * `whsec_…` secret (or any of several, while rotating one's configuration); answers the message,
 * or throws `WebhookVerificationError`. Deduplicate on `webhook-id`: delivery is at least once.
 */
export async function verifyWebhook<Data = unknown>(
  request: Received,
  secret: string | readonly string[],
): Promise<WebhookMessage<Data>> {
  const body = request instanceof Request ? new Uint8Array(await request.arrayBuffer()) : request.body;
  const headers = headerRecord(request.headers);
  const secrets = typeof secret === 'string' ? [secret] : secret;
  let failure: unknown = new WebhookVerificationError('no secret to verify with');
  for (const s of secrets) {
    try {
      return new Webhook(s).verify(body, headers) as WebhookMessage<Data>;
    } catch (e) {
      failure = e;
    }
  }
  throw failure;
}
