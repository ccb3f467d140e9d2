// The dead-letter queue → the failed-message store. Thin: each record becomes one dead-lettering;
// a record that could not be stored goes back to the DLQ (a database outage must not drop it).
import { jsonLogger, logLevelFrom } from '@genledger/core/adapters/json-logger';
import { failWholeBatch, settleBatch } from '@genledger/core/adapters/sqs-batch';
import { resolveDeadLetterConfig } from '@genledger/core/config/dead-letter-config';
import { linkedEnvironment } from '@genledger/core/config/linked-resources';
import type { Logger } from '@genledger/core/ports/logger';
import {
  deadLetterRecord,
  sourceQueueReceives,
} from '@genledger/core/use-cases/failed-messages/ingest-dead-letter';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { lambdaDatabase } from '@genledger/db/lambda-database';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export interface DeadLetterDeps {
  store: Pick<FailedMessageStore, 'ingest'>;
  logger: Logger;
  /** The source queue's redrive maximum: receives in the DLQ itself are not the message's failures. */
  maxReceiveCount?: number;
}

export const deadLetterDepsFromDatabase = (
  database: Database,
  env: NodeJS.ProcessEnv = process.env,
): DeadLetterDeps => ({
  store: new FailedMessageStore(database, new EventStore(database)),
  logger: jsonLogger(logLevelFrom(env), { fn: 'dead-letter' }),
  maxReceiveCount: resolveDeadLetterConfig(env).maxReceiveCount,
});

export function recordOf(record: SQSRecord, maxReceiveCount?: number) {
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

const getDatabase = (): Promise<Database> => lambdaDatabase(linkedEnvironment());

export function createDeadLetterHandler(options: { deps?: () => Promise<DeadLetterDeps> } = {}) {
  let deps: Promise<DeadLetterDeps> | undefined;
  const build =
    options.deps ?? (async () => deadLetterDepsFromDatabase(await getDatabase(), linkedEnvironment()));
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    let ready: DeadLetterDeps;
    try {
      deps ??= build();
      ready = await deps;
    } catch {
      deps = undefined;
      return failWholeBatch(event.Records);
    }
    return settleBatch(
      event.Records,
      (r) => ready.store.ingest(recordOf(r, ready.maxReceiveCount)),
      (record, error) =>
        ready.logger.error('could not store a dead-lettered message', { messageId: record.messageId, error }),
    );
  };
}

export const handler = createDeadLetterHandler();
