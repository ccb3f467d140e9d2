import { jsonLogger } from '@genledger/adapters/json-logger';
import { failWholeBatch, settleBatch } from '@genledger/adapters/sqs-batch';
import { sqsWebhookQueue } from '@genledger/adapters/webhooks/webhook-queue';
import { resolveDeadLetterConfig } from '@genledger/core/config/dead-letter-config';
import { memo } from '@genledger/core/memo';
import type { Logger } from '@genledger/core/ports/logger';
import { logLevelFrom } from '@genledger/core/ports/logger';
import type { WebhookQueue } from '@genledger/core/ports/webhooks';
import {
  deadLetterRecord,
  isPollReminder,
  sourceQueueReceives,
} from '@genledger/core/use-cases/failed-messages/ingest-dead-letter';
import type { Database } from '@genledger/db/connect';
import type { FailedMessageStore } from '@genledger/db/failed-message-store';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { emfSink, type MetricsSink } from './emf-metrics.ts';
import { containerDatabase } from './lambda-database.ts';
import { linkedEnvironment } from './linked-environment.ts';
import { type ModelDimension, modelDimensions } from './metric-dimensions.ts';
import { type Announce, announcer } from './operational-webhooks.ts';
import { storesOf } from './stores.ts';

export interface DeadLetterDeps {
  store: Pick<FailedMessageStore, 'ingest'>;
  logger: Logger;
  /** The source queue's redrive maximum: receives in the DLQ itself are not the message's failures. */
  maxReceiveCount?: number;
  /** Sends the operational deliveries a dead-lettering wrote (failed_message.created, failure_group.*). */
  announce?: Announce;
  /** One metric line per dead-lettering stored, by model (a listed one, or other). */
  metrics?: { sink: MetricsSink; modelDimension: (model: string | null) => Promise<ModelDimension> };
}

export const deadLetterDeps = (
  database: Database,
  env: NodeJS.ProcessEnv = process.env,
  metrics?: MetricsSink,
  /** Where operational deliveries go; default: the linked WebhookQueue (WEBHOOK_QUEUE_URL), if any. */
  webhookQueue?: WebhookQueue,
): DeadLetterDeps => {
  const stores = storesOf(database);
  const logger = jsonLogger(logLevelFrom(env), { fn: 'dead-letter' });
  return {
    store: stores.failedMessages,
    logger,
    announce: announcer(
      database,
      webhookQueue ?? (env.WEBHOOK_QUEUE_URL ? sqsWebhookQueue(env.WEBHOOK_QUEUE_URL).queue : undefined),
      logger,
    ),
    maxReceiveCount: resolveDeadLetterConfig(env).maxReceiveCount,
    ...(metrics ? { metrics: { sink: metrics, modelDimension: modelDimensions(stores.settings) } } : {}),
  };
};

/** One DLQ record as a dead-lettering; a record without what SQS always sends fails on its own. */
export function recordOf(record: SQSRecord, maxReceiveCount?: number) {
  if (!record.attributes || typeof record.attributes !== 'object')
    throw new Error('the SQS record has no attributes');
  if (!record.eventSourceARN) throw new Error('the SQS record has no eventSourceARN');
  const attributes = record.attributes as unknown as Record<string, string | undefined>;
  return deadLetterRecord({
    messageId: record.messageId,
    body: record.body,
    receiveCount: sourceQueueReceives(
      Number(attributes.ApproximateReceiveCount ?? '0') || 0,
      maxReceiveCount,
    ),
    queue: record.eventSourceARN,
    // SQS names the queue the message failed on; the DLQ itself is only where it landed.
    sourceQueue: attributes.DeadLetterQueueSourceArn ?? record.eventSourceARN,
    attributes: { ...attributes, messageAttributes: record.messageAttributes },
  });
}

/** A DLQ batch into the failed-message store; what could not be stored goes back to the DLQ. */
export function createDeadLetterHandler(options: { deps?: () => Promise<DeadLetterDeps> } = {}) {
  const deps = memo(
    options.deps ?? (async () => deadLetterDeps(await containerDatabase(), linkedEnvironment(), emfSink())),
  );
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    let ready: DeadLetterDeps;
    try {
      ready = await deps();
    } catch {
      return failWholeBatch(event.Records);
    }
    return settleBatch(
      event.Records,
      async (r) => {
        const record = recordOf(r, ready.maxReceiveCount);
        if (isPollReminder(record)) {
          ready.logger.info('dropped a dead-lettered poll reminder', { messageId: record.messageId });
          return;
        }
        const stored = await ready.store.ingest(record);
        if (stored.newAttempt) await ready.announce?.([stored.id, ...stored.groupIds]);
        if (!ready.metrics) return;
        ready.metrics.sink({
          dimensions: { model: await ready.metrics.modelDimension(record.model) },
          metrics: { DeadLettered: { value: 1, unit: 'Count' } },
          properties: {
            generationId: record.generationId,
            messageId: record.messageId,
            invalid: !!record.invalidReason,
          },
        });
      },
      (record, error) =>
        ready.logger.error('could not store a dead-lettered message', { messageId: record.messageId, error }),
    );
  };
}
