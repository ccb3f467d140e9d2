import { builtinGenerator } from '@genledger/adapters/generators/builtin-generator';
import { httpGenerator } from '@genledger/adapters/generators/http-generator';
import { jsonLogger } from '@genledger/adapters/json-logger';
import { failWholeBatch, KEEP_IN_FLIGHT, settleBatch } from '@genledger/adapters/sqs-batch';
import { resolveWorkerConfig } from '@genledger/core/config/worker-config';
import { errorFields } from '@genledger/core/error-summary';
import { memo } from '@genledger/core/memo';
import type { Logger } from '@genledger/core/ports/logger';
import { logLevelFrom } from '@genledger/core/ports/logger';
import { deadLetterRecord } from '@genledger/core/use-cases/failed-messages/ingest-dead-letter';
import {
  type IncomingMessage,
  type ProcessMessageDeps,
  processGenerationMessage,
} from '@genledger/core/use-cases/process-generation-message';
import type { Database } from '@genledger/db/connect';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type BackendWiring, submitDeps } from './backend-attempts.ts';
import { emfSink, type MetricsSink } from './emf-metrics.ts';
import { containerDatabase } from './lambda-database.ts';
import { linkedEnvironment } from './linked-environment.ts';
import { meteredGenerator } from './metered.ts';
import { modelDimensions } from './metric-dimensions.ts';
import { announcer } from './operational-webhooks.ts';
import { keepOutputsDeps } from './outputs.ts';
import { settingReader } from './setting-reader.ts';
import { storesOf } from './stores.ts';
import { configuredWebhookQueue, webhookDispatch } from './webhook-api.ts';

export async function workerDeps(
  database: Database,
  env: NodeJS.ProcessEnv,
  overrides: Partial<ProcessMessageDeps> = {},
  metrics?: MetricsSink,
  wiring: BackendWiring = {},
): Promise<ProcessMessageDeps> {
  const config = resolveWorkerConfig(env);
  const stores = storesOf(database);
  const failedMessages = stores.failedMessages;
  const logger = jsonLogger(logLevelFrom(env), { fn: 'worker' });
  const announce = announcer(database, configuredWebhookQueue(env)?.queue, logger);
  const backend = await submitDeps(database, env, logger, wiring);
  const deps: ProcessMessageDeps = {
    ...(backend ? { backend } : {}),
    // A message that can never parse is recorded as failed at once, not retried into the DLQ, and
    // the operational deliveries that wrote are sent (without a webhook queue, maintenance sends them).
    onInvalidMessage: async ({ message }) => {
      const stored = await failedMessages.ingest(deadLetterRecord(message));
      if (stored.newAttempt) await announce([stored.id, ...stored.groupIds]);
    },
    lifecycle: stores.lifecycle,
    generations: stores.generations,
    generator: config.generatorUrl
      ? httpGenerator(config.generatorUrl, { timeoutMs: config.generatorTimeoutMs })
      : builtinGenerator(),
    outputs: keepOutputsDeps(env),
    logger,
    staleAfterMs: config.staleAfterMs,
    defaultModel: settingReader(stores.settings, 'generation.defaultModel'),
    ...overrides,
  };
  if (!metrics) return deps;
  return { ...deps, generator: meteredGenerator(deps.generator, metrics, modelDimensions(stores.settings)) };
}

export const toIncoming = (record: SQSRecord): IncomingMessage => ({
  messageId: record.messageId,
  body: record.body,
  receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1,
  queue: record.eventSourceARN,
  receiptHandle: record.receiptHandle,
});

/** The generation a record names, read without validating the rest (the use case does that). */
function generationIdOf(record: SQSRecord): string | undefined {
  try {
    const id = (JSON.parse(record.body) as { generationId?: unknown }).generationId;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** After a batch: sends the webhook deliveries its generations' events wrote. */
type AfterBatch = (generationIds: readonly string[]) => Promise<void>;

/** An SQS batch through the worker use case; what to retry comes back as partial batch failures. */
export function createWorkerHandler(
  options: { deps?: () => Promise<ProcessMessageDeps>; logger?: Logger; afterBatch?: AfterBatch } = {},
) {
  let afterBatch = options.afterBatch;
  const deps = memo(
    options.deps ??
      (async () => {
        const env = linkedEnvironment();
        const database = await containerDatabase();
        const built = await workerDeps(database, env, {}, emfSink());
        afterBatch ??= webhookDispatch(database, configuredWebhookQueue(env), built.logger);
        return built;
      }),
  );
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    let ready: ProcessMessageDeps;
    try {
      ready = await deps();
    } catch (e) {
      // Nothing can be recorded without the database: every record goes back to the queue.
      (options.logger ?? jsonLogger(logLevelFrom(process.env), { fn: 'worker' })).error(
        'worker start-up failed',
        errorFields(e),
      );
      return failWholeBatch(event.Records);
    }
    // Each message's webhook deliveries go out as soon as it is handled, not after its batch's
    // slowest neighbour: measured under `npm start`, per batch put p50 completion → webhook at
    // 462 ms. It costs a query per message, not per batch.
    const sendHooks = async (r: SQSRecord) => {
      const id = generationIdOf(r);
      if (afterBatch && id) await afterBatch([id]);
    };
    return settleBatch(
      event.Records,
      async (r) => {
        const outcome = await processGenerationMessage(ready, toIncoming(r)).finally(() => sendHooks(r));
        return outcome.status === 'submitted' && outcome.held ? KEEP_IN_FLIGHT : outcome;
      },
      (record, error) =>
        ready.logger.warn('message returned to the queue', { messageId: record.messageId, error }),
    );
  };
}
