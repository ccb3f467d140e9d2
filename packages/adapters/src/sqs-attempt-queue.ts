import type { SQSClient } from '@aws-sdk/client-sqs';
import { memo } from '@genledger/core/memo';
import type { AttemptQueue } from '@genledger/core/ports/attempt-queue';
import { sqsMessageBody } from './sqs-message-body.ts';

/**
 * The AttemptQueue port on SQS: ChangeMessageVisibility holds or releases the delivery that started
 * an attempt (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ChangeMessageVisibility.html),
 * SendMessage with DelaySeconds sends a poll reminder or a deferred generation. The SDK loads on
 * first use, as in sqsQueue: a worker on a synchronous backend never pays for it.
 */
export function sqsAttemptQueue(queueUrl: string, options: { client?: SQSClient } = {}): AttemptQueue {
  const sdk = memo(async () => {
    const sqs = await import('@aws-sdk/client-sqs');
    return { sqs, client: options.client ?? new sqs.SQSClient({}) };
  });
  const visibility = async (ReceiptHandle: string, VisibilityTimeout: number) => {
    const { sqs, client } = await sdk();
    await client.send(
      new sqs.ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle, VisibilityTimeout }),
    );
  };
  return {
    hold: (receiptHandle, seconds) => visibility(receiptHandle, Math.round(seconds)),
    release: (receiptHandle) => visibility(receiptHandle, 0),
    async sendLater(message, delaySeconds) {
      const { sqs, client } = await sdk();
      await client.send(
        new sqs.SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: sqsMessageBody(message),
          DelaySeconds: Math.round(delaySeconds),
          MessageAttributes: {
            type: { DataType: 'String', StringValue: message.type },
            generationId: { DataType: 'String', StringValue: message.generationId },
          },
        }),
      );
    },
  };
}
