import type { SQSClient } from '@aws-sdk/client-sqs';
import { webhookDeliveryMessage } from '@genledger/core/contracts/webhooks';
import { memo } from '@genledger/core/memo';
import type { WebhookQueue } from '@genledger/core/ports/webhooks';

const BATCH = 10;

/** The webhook queue over SQS (`WEBHOOK_QUEUE_URL`): delivery ids in batches of 10. */
export function sqsWebhookQueue(queueUrl: string, options: { client?: SQSClient } = {}) {
  const sdk = memo(async () => {
    const m = await import('@aws-sdk/client-sqs');
    return { m, client: options.client ?? new m.SQSClient({}) };
  });
  const queue: WebhookQueue = {
    async send(ids) {
      const { m, client } = await sdk();
      const failed: string[] = [];
      for (let i = 0; i < ids.length; i += BATCH) {
        const chunk = ids.slice(i, i + BATCH);
        try {
          const out = await client.send(
            new m.SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: chunk.map((id, n) => ({
                Id: String(n),
                MessageBody: JSON.stringify(webhookDeliveryMessage(id)),
                MessageAttributes: { type: { DataType: 'String', StringValue: 'webhook.delivery' } },
              })),
            }),
          );
          for (const f of out.Failed ?? []) failed.push(chunk[Number(f.Id)]!);
        } catch {
          failed.push(...chunk);
        }
      }
      return { failed };
    },
  };
  /** Hands a received message back for `seconds` (SQS's ChangeMessageVisibility): the retry's backoff. */
  const retryLater = async (receiptHandle: string, seconds: number) => {
    const { m, client } = await sdk();
    await client.send(
      new m.ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.ceil(seconds),
      }),
    );
  };
  return { queue, retryLater };
}
