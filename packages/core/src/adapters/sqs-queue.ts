import { SQSClient } from '@aws-sdk/client-sqs';
import type { Queue } from '../ports/queue.ts';
import { GenerationProducer, type ProducerOptions } from '../sqs-producer.ts';

/** The Queue port over SQS (`QUEUE_URL`). */
export function sqsQueue(queueUrl: string, options: ProducerOptions & { client?: SQSClient } = {}): Queue {
  const producer = new GenerationProducer(options.client ?? new SQSClient({}), queueUrl, options);
  return { send: async (messages) => ({ failed: (await producer.send(messages)).failed }) };
}
