// A generation an API key submitted over HTTP and that was cancelled while pending: its cancel
// writes the webhook deliveries of `generation.cancelled` (to the key's subscribed endpoints, and to
// the generation's own webhook when it names one), which the webhook tests then deliver.
import { GenerationRequest } from '@genledger/core/contracts/generation';
import type { Stores } from '@genledger/wiring/stores';

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
