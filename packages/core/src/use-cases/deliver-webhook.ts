import { PING_EVENT } from '../contracts/webhooks.ts';
import type { Clock } from '../ports/clock.ts';
import type { Generations } from '../ports/generations.ts';
import type {
  DeliveryTarget,
  RenderGeneration,
  WebhookDeliveries,
  WebhookSender,
} from '../ports/webhooks.ts';
import { retryDelaySeconds } from '../webhooks/retry-schedule.ts';
import type { SecretBox } from '../webhooks/secret-box.ts';

export interface DeliverWebhookDeps {
  deliveries: WebhookDeliveries;
  generations: Pick<Generations, 'get'>;
  sender: WebhookSender;
  secrets: SecretBox;
  render: RenderGeneration;
  clock: Clock;
  retryBaseS: number;
  /** The default secret of a key whose generation's own webhook is sent before it asked for one. */
  defaultSecret(apiKeyId: string): Promise<string>;
}

/** What the queue edge does with the message: acknowledge it, or hand it back for `delaySeconds`. */
export type DeliveryOutcome =
  | { done: true; result: 'delivered' | 'gone' | 'skipped' | 'missing' | 'duplicate' }
  | { done: false; delaySeconds: number; reason: string };

const MAX_ERROR = 2000;

/**
 * One attempt at one delivery: the body is `{type, timestamp, data}`, where data is the resource as
 * the API returns it now; every attempt carries the same `webhook-id`. 2xx delivered; 410 disables
 * the endpoint; anything else is tried again after the retry schedule's delay, until the queue's
 * redrive hands it to the dead-letter queue.
 */
export async function deliverWebhook(
  deps: DeliverWebhookDeps,
  input: { deliveryId: string; attempt: number },
): Promise<DeliveryOutcome> {
  const target = await deps.deliveries.target(input.deliveryId);
  if (!target) return { done: true, result: 'missing' };
  if (target.status === 'delivered') return { done: true, result: 'duplicate' };
  if (!target.active || !target.url) {
    await deps.deliveries.recordAttempt(target.id, skipped('the endpoint is disabled or gone'));
    return { done: true, result: 'skipped' };
  }
  const data = await dataOf(deps, target);
  if (data === undefined) {
    await deps.deliveries.recordAttempt(target.id, skipped('the generation is gone'));
    return { done: true, result: 'skipped' };
  }
  const secrets = await secretsOf(deps, target);
  if (secrets.length === 0) {
    // A queue producer's generation has no key, and so no default secret: nothing can sign it.
    await deps.deliveries.recordAttempt(
      target.id,
      skipped('no signing secret: the generation has no API key'),
    );
    return { done: true, result: 'skipped' };
  }
  const body = JSON.stringify({ type: target.eventType, timestamp: target.occurredAt.toISOString(), data });
  const response = await deps.sender.send({
    url: target.url,
    id: target.id,
    timestamp: deps.clock.now(),
    body,
    secrets,
  });
  const common = { latencyMs: response.latencyMs };
  if (response.ok && response.status >= 200 && response.status < 300) {
    await deps.deliveries.recordAttempt(target.id, {
      ...common,
      status: 'delivered',
      statusCode: response.status,
      error: null,
      response: response.body,
      nextAttemptAt: null,
    });
    return { done: true, result: 'delivered' };
  }
  if (response.ok && response.status === 410) {
    await deps.deliveries.recordAttempt(target.id, {
      ...common,
      status: 'failed',
      statusCode: 410,
      error: 'the receiver answered 410 Gone: the endpoint is disabled',
      response: response.body,
      nextAttemptAt: null,
    });
    if (target.endpointId) await deps.deliveries.disableEndpoint(target.endpointId, 'gone');
    return { done: true, result: 'gone' };
  }
  const delaySeconds = retryDelaySeconds(input.attempt, deps.retryBaseS);
  const reason = response.ok ? `the receiver answered ${response.status}` : response.error;
  await deps.deliveries.recordAttempt(target.id, {
    ...common,
    status: 'retrying',
    statusCode: response.ok ? response.status : null,
    error: reason.slice(0, MAX_ERROR),
    response: response.ok ? response.body : null,
    nextAttemptAt: new Date(deps.clock.now().getTime() + delaySeconds * 1000),
  });
  return { done: false, delaySeconds, reason };
}

const skipped = (error: string) => ({
  status: 'skipped' as const,
  statusCode: null,
  latencyMs: null,
  error,
  response: null,
  nextAttemptAt: null,
});

async function dataOf(deps: DeliverWebhookDeps, target: DeliveryTarget): Promise<unknown> {
  if (target.eventType === PING_EVENT) return { endpointId: target.endpointId };
  if (!target.generationId) return undefined;
  const generation = await deps.generations.get(target.generationId);
  return generation ? await deps.render(generation) : undefined;
}

async function secretsOf(deps: DeliverWebhookDeps, target: DeliveryTarget): Promise<string[]> {
  const sealed =
    target.sealedSecrets.length > 0 || !target.apiKeyId
      ? target.sealedSecrets
      : [await deps.defaultSecret(target.apiKeyId)];
  return sealed.map((s) => deps.secrets.open(s));
}
