// SQS → the generation worker. Thin: build the dependencies once per container, run each record
// through the use case, report the ones to retry as partial batch failures.
import { join } from 'node:path';
import { jsonLogger, logLevelFrom } from '@genledger/core/adapters/json-logger';
import { failWholeBatch, settleBatch } from '@genledger/core/adapters/sqs-batch';
import { linkedEnvironment } from '@genledger/core/config/linked-resources';
import { resolveWorkerConfig } from '@genledger/core/config/worker-config';
import { errorFields } from '@genledger/core/error-summary';
import { builtinGenerator } from '@genledger/core/generators/builtin-generator';
import { httpGenerator } from '@genledger/core/generators/http-generator';
import type { Logger } from '@genledger/core/ports/logger';
import { deadLetterRecord } from '@genledger/core/use-cases/failed-messages/ingest-dead-letter';
import {
  type IncomingMessage,
  type ProcessMessageDeps,
  processGenerationMessage,
} from '@genledger/core/use-cases/process-generation-message';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { GenerationLifecycle } from '@genledger/db/generation-lifecycle';
import { GenerationStore } from '@genledger/db/generation-store';
import { lambdaDatabase } from '@genledger/db/lambda-database';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export function workerDepsFromDatabase(
  database: Database,
  env: NodeJS.ProcessEnv,
  overrides: Partial<ProcessMessageDeps> = {},
): ProcessMessageDeps {
  const config = resolveWorkerConfig(env);
  const events = new EventStore(database);
  const failedMessages = new FailedMessageStore(database, events);
  return {
    // A message that can never parse is recorded as failed at once, not retried into the DLQ.
    onInvalidMessage: async ({ message }) => void (await failedMessages.ingest(deadLetterRecord(message))),
    lifecycle: new GenerationLifecycle(database, events),
    generations: new GenerationStore(database, events),
    generator: config.generatorUrl
      ? httpGenerator(config.generatorUrl, { timeoutMs: config.generatorTimeoutMs })
      : builtinGenerator(join(config.dataDir, 'outputs')),
    logger: jsonLogger(logLevelFrom(env), { fn: 'worker' }),
    staleAfterMs: config.staleAfterMs,
    ...overrides,
  };
}

export const toIncoming = (record: SQSRecord): IncomingMessage => ({
  messageId: record.messageId,
  body: record.body,
  receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? '1') || 1,
  queue: record.eventSourceARN,
});

/** One database per container, reused while warm; linked SST resources become plain variables. */
const getDatabase = (): Promise<Database> => lambdaDatabase(linkedEnvironment());

export function createWorkerHandler(
  options: { deps?: () => Promise<ProcessMessageDeps>; logger?: Logger } = {},
) {
  let deps: Promise<ProcessMessageDeps> | undefined;
  const build =
    options.deps ?? (async () => workerDepsFromDatabase(await getDatabase(), linkedEnvironment()));
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    let ready: ProcessMessageDeps;
    try {
      deps ??= build();
      ready = await deps;
    } catch (e) {
      deps = undefined;
      // Nothing can be recorded without the database: every record goes back to the queue.
      (options.logger ?? jsonLogger(logLevelFrom(process.env), { fn: 'worker' })).error(
        'worker start-up failed',
        errorFields(e),
      );
      return failWholeBatch(event.Records);
    }
    return settleBatch(
      event.Records,
      (r) => processGenerationMessage(ready, toIncoming(r)),
      (record, error) =>
        ready.logger.warn('message returned to the queue', { messageId: record.messageId, error }),
    );
  };
}

export const handler = createWorkerHandler();
