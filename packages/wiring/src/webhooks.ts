import { jsonLogger } from '@genledger/adapters/json-logger';
import { failWholeBatch, settleBatch } from '@genledger/adapters/sqs-batch';
import { limitPerTarget } from '@genledger/adapters/webhooks/per-target-limit';
import { webhookSender } from '@genledger/adapters/webhooks/webhook-sender';
import { generationBody } from '@genledger/api/serialize';
import { resolveDeadLetterConfig } from '@genledger/core/config/dead-letter-config';
import { resolveWebhookConfig, type WebhookConfig } from '@genledger/core/config/webhook-config';
import { WEBHOOK_MESSAGE_TYPE, WebhookDeliveryMessage } from '@genledger/core/contracts/webhooks';
import { errorFields, safeMessage } from '@genledger/core/error-summary';
import { memo } from '@genledger/core/memo';
import { systemClock } from '@genledger/core/ports/clock';
import type { Logger } from '@genledger/core/ports/logger';
import { logLevelFrom } from '@genledger/core/ports/logger';
import type {
  RenderGeneration,
  WebhookDeliveries,
  WebhookQueue,
  WebhookSender,
} from '@genledger/core/ports/webhooks';
import {
  type DeliverWebhookDeps,
  type DeliveryOutcome,
  deliverWebhooks,
} from '@genledger/core/use-cases/deliver-webhook';
import type { DeadLetterRecord } from '@genledger/core/use-cases/failed-messages/ingest-dead-letter';
import { WEBHOOK_MAX_ATTEMPTS } from '@genledger/core/webhooks/retry-schedule';
import { newSigningSecret, SecretBox } from '@genledger/core/webhooks/secret-box';
import type { Database } from '@genledger/db/connect';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { recordOf } from './dead-letter.ts';
import { containerDatabase } from './lambda-database.ts';
import { linkedEnvironment } from './linked-environment.ts';
import { type Announce, announcer, resourceRenderer } from './operational-webhooks.ts';
import { outputStoreOf } from './outputs.ts';
import { storesOf } from './stores.ts';
import { configuredWebhookQueue, type WebhookQueueBinding } from './webhook-api.ts';

export interface WebhookDeps extends DeliverWebhookDeps {
  binding: WebhookQueueBinding;
  logger: Logger;
  /** Sends the webhook_endpoint.disabled deliveries an attempt that disabled its endpoint wrote. */
  announce: Announce;
}

export interface WebhookDepsOptions {
  binding: WebhookQueueBinding;
  /** `npm start` and the sim: private targets allowed unless WEBHOOK_ALLOW_PRIVATE_NETWORKS=false. */
  allowPrivateByDefault?: boolean;
  /** The rendering of a generation (the body's `data`); default: the API's, outputs as fresh signed links. */
  render?: RenderGeneration;
  sender?: WebhookSender;
  clock?: DeliverWebhookDeps['clock'];
}

/** The secret box and the default-secret maker every webhook path shares. */
export function webhookSecrets(database: Database, config: WebhookConfig) {
  const secrets = new SecretBox(config.secretsKeyMaterial);
  const endpoints = storesOf(database).webhookEndpoints;
  return {
    secrets,
    defaultSecret: (apiKeyId: string) => endpoints.defaultSecret(apiKeyId, secrets.seal(newSigningSecret())),
  };
}

export function webhookDeps(
  database: Database,
  env: NodeJS.ProcessEnv,
  options: WebhookDepsOptions,
): WebhookDeps {
  const config = resolveWebhookConfig(env, { allowPrivateByDefault: options.allowPrivateByDefault ?? false });
  const stores = storesOf(database);
  const logger = jsonLogger(logLevelFrom(env), { fn: 'webhooks' });
  return {
    ...webhookSecrets(database, config),
    binding: options.binding,
    deliveries: stores.webhookDeliveries,
    generations: stores.generations,
    sender:
      options.sender ??
      limitPerTarget(
        webhookSender({ timeoutMs: config.timeoutMs, allowPrivateNetworks: config.allowPrivateNetworks }),
        config.concurrencyPerTarget,
      ),
    render: options.render ?? ((g) => generationBody(g, outputStoreOf(env))),
    renderResource: resourceRenderer(database),
    clock: options.clock ?? systemClock,
    retryBaseS: config.retryBaseS,
    disableAfterFailingS: config.disableAfterFailingS,
    logger,
    announce: announcer(database, options.binding.queue, logger),
  };
}

const receivesOf = (r: SQSRecord) => Number(r.attributes?.ApproximateReceiveCount ?? '1') || 1;

/** A record's delivery message, or undefined (logged) when it does not parse. */
function messageOf(deps: WebhookDeps, record: SQSRecord): WebhookDeliveryMessage | undefined {
  try {
    return WebhookDeliveryMessage.parse(JSON.parse(record.body));
  } catch {
    // It would fail every retry: let the redrive carry it to the DLQ, where it is recorded.
    deps.logger.warn('webhook message does not parse', { messageId: record.messageId });
    return undefined;
  }
}

/** One record's attempt: delivered, skipped or gone are acknowledged; a retry changes its visibility and fails. */
async function settleRecord(
  deps: WebhookDeps,
  record: SQSRecord,
  deliveryId: string,
  attempted: Promise<DeliveryOutcome>,
): Promise<boolean> {
  const outcome = await attempted;
  if (outcome.disabledEndpoint) await deps.announce([outcome.disabledEndpoint]);
  if (outcome.done) return true;
  await deps.binding.retryLater(record.receiptHandle, outcome.delaySeconds);
  deps.logger.info('webhook delivery retried later', {
    deliveryId,
    delaySeconds: outcome.delaySeconds,
    reason: outcome.reason,
  });
  return false;
}

/**
 * The delivery function: each record one attempt, the batch's targets read in one statement
 * (`deliverWebhooks`); failures come back as partial batch failures.
 */
export function createWebhookHandler(options: { deps?: () => Promise<WebhookDeps> } = {}) {
  const deps = memo(
    options.deps ??
      (async () => {
        const env = linkedEnvironment();
        const binding = configuredWebhookQueue(env);
        if (!binding) throw new Error('WEBHOOK_QUEUE_URL is not set (link the WebhookQueue)');
        return webhookDeps(await containerDatabase(), env, { binding });
      }),
  );
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    let ready: WebhookDeps;
    try {
      ready = await deps();
    } catch (e) {
      jsonLogger(logLevelFrom(process.env), { fn: 'webhooks' }).error(
        'webhook start-up failed',
        errorFields(e),
      );
      return failWholeBatch(event.Records);
    }
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    const parsed = event.Records.map((record) => ({ record, message: messageOf(ready, record) }));
    const valid = parsed.filter(
      (p): p is { record: SQSRecord; message: WebhookDeliveryMessage } => !!p.message,
    );
    const attempts = deliverWebhooks(
      ready,
      valid.map((p) => ({ deliveryId: p.message.deliveryId, attempt: receivesOf(p.record) })),
    );
    for (const p of parsed) if (!p.message) failures.push({ itemIdentifier: p.record.messageId });
    await Promise.all(
      valid.map(async ({ record, message }, i) => {
        const ok = await settleRecord(ready, record, message.deliveryId, attempts[i]!).catch((e) => {
          ready.logger.warn('webhook delivery failed', {
            messageId: record.messageId,
            error: safeMessage(e),
          });
          return false;
        });
        if (!ok) failures.push({ itemIdentifier: record.messageId });
      }),
    );
    return { batchItemFailures: failures };
  };
}

/**
 * What a dead-lettered delivery is recorded as among failed messages: type `webhook.delivery`, its
 * error named by the last answer (`WebhookStatus500`, `WebhookUnreachable`) with the endpoint as its
 * stack frame, so failure groups gather a delivery's failures by endpoint and status.
 */
export async function webhookDeadLetterRecord(
  deliveries: WebhookDeliveries,
  record: SQSRecord,
  maxReceiveCount: number | undefined,
): Promise<DeadLetterRecord> {
  const base = recordOf(record, maxReceiveCount);
  const parsed = WebhookDeliveryMessage.safeParse(safeJson(record.body));
  if (!parsed.success) return { ...base, messageType: WEBHOOK_MESSAGE_TYPE };
  const last = await deliveries.markDeadLettered(parsed.data.deliveryId);
  const type = last?.statusCode ? `WebhookStatus${last.statusCode}` : 'WebhookUnreachable';
  return {
    ...base,
    messageType: WEBHOOK_MESSAGE_TYPE,
    invalidReason: null,
    cause: {
      type,
      message: last?.error ?? 'the delivery was dead-lettered',
      stack: `${type}\n    at endpoint (${last?.endpointId ?? 'generation webhook'})`,
    },
  };
}

function safeJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** The webhook DLQ's handler: each dead-lettered delivery marked failed and recorded as a failed message. */
export function createWebhookDeadLetterHandler(
  options: {
    deps?: () => Promise<{
      database: Database;
      maxReceiveCount?: number;
      logger: Logger;
      /** Where the operational deliveries an ingest wrote go (failed_message.created, failure_group.*). */
      queue?: WebhookQueue;
    }>;
  } = {},
) {
  const deps = memo(
    options.deps ??
      (async () => {
        const env = linkedEnvironment();
        return {
          database: await containerDatabase(),
          // The webhook queue's redrive maximum, as the stack sets it (QUEUE_MAX_RECEIVE_COUNT).
          maxReceiveCount: resolveDeadLetterConfig(env).maxReceiveCount ?? WEBHOOK_MAX_ATTEMPTS,
          logger: jsonLogger(logLevelFrom(env), { fn: 'webhook-dead-letter' }),
          ...(configuredWebhookQueue(env) ? { queue: configuredWebhookQueue(env)!.queue } : {}),
        };
      }),
  );
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    let ready: Awaited<ReturnType<typeof deps>>;
    try {
      ready = await deps();
    } catch {
      return failWholeBatch(event.Records);
    }
    const stores = storesOf(ready.database);
    return settleBatch(
      event.Records,
      async (r) => {
        const stored = await stores.failedMessages.ingest(
          await webhookDeadLetterRecord(stores.webhookDeliveries, r, ready.maxReceiveCount),
        );
        if (stored.newAttempt)
          await announcer(ready.database, ready.queue, ready.logger)([stored.id, ...stored.groupIds]);
      },
      (record, error) =>
        ready.logger.error('could not store a dead-lettered webhook delivery', {
          messageId: record.messageId,
          error,
        }),
    );
  };
}
