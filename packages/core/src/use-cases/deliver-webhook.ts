import type { GenerationRecord } from '../contracts/generation.ts';
import { isOperationalEvent, PING_EVENT } from '../contracts/webhooks.ts';
import type { Clock } from '../ports/clock.ts';
import type {
  AttemptRecord,
  DeliveryTarget,
  RenderGeneration,
  RenderResource,
  WebhookDeliveries,
  WebhookSender,
} from '../ports/webhooks.ts';
import { retryDelaySeconds } from '../webhooks/retry-schedule.ts';
import type { SecretBox } from '../webhooks/secret-box.ts';

export interface DeliverWebhookDeps {
  deliveries: WebhookDeliveries;
  /** The generations a batch's deliveries are about, read at once (rows for many ids). */
  generations: { getMany(ids: readonly string[]): Promise<GenerationRecord[]> };
  sender: WebhookSender;
  secrets: SecretBox;
  render: RenderGeneration;
  /** The resource an operational event is about, as the API returns it. */
  renderResource: RenderResource;
  clock: Clock;
  retryBaseS: number;
  /** An endpoint whose attempts have all failed for this long is disabled (WEBHOOK_DISABLE_AFTER_FAILING_S). */
  disableAfterFailingS: number;
  /** The default secret of a key whose generation's own webhook is sent before it asked for one. */
  defaultSecret(apiKeyId: string): Promise<string>;
}

/**
 * What the queue edge does with the message: acknowledge it, or hand it back for `delaySeconds`.
 * `disabledEndpoint`: this attempt disabled its endpoint, whose WebhookEndpointDisabled deliveries
 * are waiting to be sent.
 */
export type DeliveryOutcome = (
  | { done: true; result: 'delivered' | 'gone' | 'skipped' | 'missing' | 'duplicate' }
  | { done: false; delaySeconds: number; reason: string }
) & { disabledEndpoint?: string };

const MAX_ERROR = 2000;

export interface DeliveryInput {
  deliveryId: string;
  /** The queue's receive count: the retry schedule's step. */
  attempt: number;
}

/**
 * One attempt at each delivery of a batch: their targets read in one statement, then the
 * generations they are about in another (none for pings and operational events); each attempt then
 * goes on by itself and settles on its own (one that throws fails alone).
 */
export function deliverWebhooks(
  deps: DeliverWebhookDeps,
  inputs: readonly DeliveryInput[],
): Promise<DeliveryOutcome>[] {
  const read = readBatch(deps, [...new Set(inputs.map((i) => i.deliveryId))]);
  return inputs.map(async (input) => {
    const batch = await read;
    return attempt(deps, batch, batch.targets.get(input.deliveryId), input.attempt);
  });
}

interface BatchRead {
  targets: Map<string, DeliveryTarget>;
  generations: Map<string, GenerationRecord>;
}

async function readBatch(deps: DeliverWebhookDeps, ids: string[]): Promise<BatchRead> {
  const targets = await deps.deliveries.targets(ids);
  const about = new Set(targets.filter(sendsGeneration).map((t) => t.generationId!));
  const generations = about.size > 0 ? await deps.generations.getMany([...about]) : [];
  return {
    targets: new Map(targets.map((t) => [t.id, t])),
    generations: new Map(generations.map((g) => [g.id, g])),
  };
}

/** A target that will be sent and whose body is its generation. */
const sendsGeneration = (t: DeliveryTarget) =>
  t.status !== 'delivered' &&
  t.active &&
  !!t.url &&
  !!t.generationId &&
  t.eventType !== PING_EVENT &&
  !isOperationalEvent(t.eventType);

/** One attempt at one delivery (`deliverWebhooks` with a batch of one). */
export const deliverWebhook = (deps: DeliverWebhookDeps, input: DeliveryInput): Promise<DeliveryOutcome> =>
  deliverWebhooks(deps, [input])[0]!;

/**
 * The body is `{type, timestamp, data}`, where data is the resource as the API returns it now; every
 * attempt carries the same `webhook-id`. 2xx delivered; 410 disables the endpoint; anything else is
 * tried again after the retry schedule's delay, until the queue's redrive hands it to the
 * dead-letter queue, and disables the endpoint once its attempts have all failed for
 * `disableAfterFailingS`.
 */
async function attempt(
  deps: DeliverWebhookDeps,
  batch: BatchRead,
  target: DeliveryTarget | undefined,
  attemptNumber: number,
): Promise<DeliveryOutcome> {
  if (!target) return { done: true, result: 'missing' };
  if (target.status === 'delivered') return { done: true, result: 'duplicate' };
  const at = deps.clock.now();
  const skip = async (error: string): Promise<DeliveryOutcome> => {
    await deps.deliveries.recordAttempt(target.id, { ...NOTHING_SENT, error, at });
    return { done: true, result: 'skipped' };
  };
  if (!target.active || !target.url) return skip('the endpoint is disabled or gone');
  const data = await dataOf(deps, batch, target);
  if (data === undefined) return skip(`the ${target.generationId ? 'generation' : 'subject'} is gone`);
  const secrets = await secretsOf(deps, target);
  // A queue producer's generation has no key, and so no default secret: nothing can sign it.
  if (secrets.length === 0) return skip('no signing secret: the generation has no API key');
  const body = JSON.stringify({ type: target.eventType, timestamp: target.occurredAt.toISOString(), data });
  const response = await deps.sender.send({ url: target.url, id: target.id, timestamp: at, body, secrets });
  const common = { latencyMs: response.latencyMs, at };
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
    const streak = await deps.deliveries.recordAttempt(target.id, {
      ...common,
      status: 'failed',
      statusCode: 410,
      error: 'the receiver answered 410 Gone: the endpoint is disabled',
      response: response.body,
      nextAttemptAt: null,
    });
    const disabled = await disable(deps, target, {
      reason: 'gone',
      failingSince: streak?.failingSince ?? null,
    });
    return { done: true, result: 'gone', ...disabled };
  }
  const delaySeconds = retryDelaySeconds(attemptNumber, deps.retryBaseS);
  const reason = response.ok ? `the receiver answered ${response.status}` : response.error;
  const streak = await deps.deliveries.recordAttempt(target.id, {
    ...common,
    status: 'retrying',
    statusCode: response.ok ? response.status : null,
    error: reason.slice(0, MAX_ERROR),
    response: response.ok ? response.body : null,
    nextAttemptAt: new Date(at.getTime() + delaySeconds * 1000),
  });
  const failingSince = streak?.failingSince ?? null;
  const disabled = failingTooLong(failingSince, at, deps.disableAfterFailingS)
    ? await disable(deps, target, { reason: 'failing', failingSince })
    : {};
  return { done: false, delaySeconds, reason, ...disabled };
}

const NOTHING_SENT: Omit<AttemptRecord, 'error' | 'at'> = {
  status: 'skipped',
  statusCode: null,
  latencyMs: null,
  response: null,
  nextAttemptAt: null,
};

/** True once every attempt since `failingSince` has failed for at least `afterS` seconds. */
export const failingTooLong = (failingSince: Date | null, now: Date, afterS: number): boolean =>
  failingSince !== null && now.getTime() - failingSince.getTime() >= afterS * 1000;

async function disable(
  deps: DeliverWebhookDeps,
  target: DeliveryTarget,
  why: Parameters<WebhookDeliveries['disableEndpoint']>[1],
): Promise<{ disabledEndpoint?: string }> {
  if (!target.endpointId) return {};
  return (await deps.deliveries.disableEndpoint(target.endpointId, why))
    ? { disabledEndpoint: target.endpointId }
    : {};
}

async function dataOf(deps: DeliverWebhookDeps, batch: BatchRead, target: DeliveryTarget): Promise<unknown> {
  if (target.eventType === PING_EVENT) return { endpointId: target.endpointId };
  if (isOperationalEvent(target.eventType))
    return target.subjectId ? await deps.renderResource(target.eventType, target.subjectId) : undefined;
  if (!target.generationId) return undefined;
  const generation = batch.generations.get(target.generationId);
  return generation ? await deps.render(generation) : undefined;
}

async function secretsOf(deps: DeliverWebhookDeps, target: DeliveryTarget): Promise<string[]> {
  const sealed =
    target.sealedSecrets.length > 0 || !target.apiKeyId
      ? target.sealedSecrets
      : [await deps.defaultSecret(target.apiKeyId)];
  return sealed.map((s) => deps.secrets.open(s));
}
