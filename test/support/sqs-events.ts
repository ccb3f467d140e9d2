import type { GenerationRequestedMessageInput } from '@genledger/core/contracts/queue-message';
import type { Queue } from '@genledger/core/ports/queue';
import type { SQSEvent, SQSRecord } from 'aws-lambda';

/** A record as SQS hands it to Lambda, every attribute present. */
export function sqsRecord(
  body: string | GenerationRequestedMessageInput,
  options: { messageId?: string; receiveCount?: number } = {},
): SQSRecord {
  const now = Date.now();
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    messageId: options.messageId ?? crypto.randomUUID(),
    receiptHandle: `AQEB${crypto.randomUUID().replaceAll('-', '')}`,
    body: text,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: String(now - 1000),
      SenderId: 'AIDAIENQZJOLO23YVJ4VO',
      ApproximateFirstReceiveTimestamp: String(now),
    },
    messageAttributes: {
      type: {
        stringValue: 'generation.requested',
        stringListValues: [],
        binaryListValues: [],
        dataType: 'String',
      },
    },
    md5OfBody: 'e4e68fb7bd0e697a0ae8f1bb342846b3',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-central-1:123456789012:genledger-prod-Queue',
    awsRegion: 'eu-central-1',
  };
}

export const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

export const message = (
  overrides: Partial<GenerationRequestedMessageInput> = {},
): GenerationRequestedMessageInput => ({
  type: 'generation.requested',
  version: 1,
  generationId: crypto.randomUUID(),
  request: { prompt: 'a harbour at dawn', width: 512, height: 384, seed: 7 },
  ...overrides,
});

/** The Queue port recording what it sends as the SQS records a worker would receive. */
export function recordingQueue(): { queue: Queue; records: SQSRecord[] } {
  const records: SQSRecord[] = [];
  const queue: Queue = {
    async send(messages) {
      for (const m of messages) records.push(sqsRecord(m));
      return { failed: [] };
    },
  };
  return { queue, records };
}
