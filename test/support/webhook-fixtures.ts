// What the webhook tests set up their deliveries with: an API key of their own, and a generation
// that key submitted over HTTP and that was cancelled while pending, whose cancel writes the
// deliveries of `generation.cancelled` (to the key's subscribed endpoints, and to the generation's
// own webhook when it names one).
import { GenerationRequest } from '@genledger/core/contracts/generation';
import type { Stores } from '@genledger/wiring/stores';

/** A non-admin key, 100 requests a minute, never expiring: its id. */
export async function hookKey(stores: Stores, name: string): Promise<string> {
  const { summary } = await stores.apiKeys.create({ name, isAdmin: false, rateLimit: 100, expiresAt: null });
  return summary!.id;
}

export async function cancelledGeneration(
  stores: Stores,
  apiKeyId: string,
  request: { prompt: string; webhook?: string },
): Promise<string> {
  const id = crypto.randomUUID();
  await stores.generations.create({
    id,
    request: GenerationRequest.parse(request),
    apiKeyId,
    idempotencyKey: null,
    requestHash: null,
    source: 'http',
    enqueued: true,
  });
  await stores.generations.cancel(id, { admin: true }, ['pending']);
  return id;
}
