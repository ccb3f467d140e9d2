import type { SQSClient } from '@aws-sdk/client-sqs';
import { memo } from '@genledger/core/memo';
import type { Queue } from '@genledger/core/ports/queue';
import type { ProducerOptions } from './sqs-producer.ts';

/**
 * The Queue port over SQS (`QUEUE_URL`). The SDK loads on the first send, not at import: an API
 * cold start that serves a GET never pays for it.
 */
export function sqsQueue(queueUrl: string, options: ProducerOptions & { client?: SQSClient } = {}): Queue {
  const producer = memo(async () => {
    const [{ SQSClient: Client }, { GenerationProducer: Producer }] = await Promise.all([
      import('@aws-sdk/client-sqs'),
      import('./sqs-producer.ts'),
    ]);
    return new Producer(options.client ?? new Client({}), queueUrl, options);
  });
  return {
    send: async (messages) => {
      return { failed: (await (await producer()).send(messages)).failed };
    },
  };
}
