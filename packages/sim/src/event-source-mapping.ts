// Lambda's SQS event source mapping for one subscription: pollers receive up to the batch size
// within the batching window, invoke the function with the SQS event, delete what succeeded and
// leave reported failures (or the whole batch, when the invocation failed) to reappear after the
// visibility timeout, where SQS's redrive policy counts them towards the dead-letter queue.
import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { InvokeResult } from './lambda-runtime.ts';

export interface MappingOptions {
  client: SQSClient;
  queueUrl: string;
  queueArn: string;
  region: string;
  batchSize: number;
  windowS: number;
  partialResponses: boolean;
  /** Pollers, and so concurrent invocations (the mapping's maximum concurrency). */
  concurrency: number;
  invoke(event: SQSEvent): Promise<InvokeResult>;
  log(line: string): void;
}

function toRecord(m: Message, queueArn: string, region: string): SQSRecord {
  const messageAttributes: SQSRecord['messageAttributes'] = {};
  for (const [name, v] of Object.entries(m.MessageAttributes ?? {})) {
    messageAttributes[name] = {
      dataType: v.DataType ?? 'String',
      ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
      ...(v.BinaryValue !== undefined ? { binaryValue: Buffer.from(v.BinaryValue).toString('base64') } : {}),
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return {
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    body: m.Body ?? '',
    attributes: m.Attributes as unknown as SQSRecord['attributes'],
    messageAttributes,
    md5OfBody: m.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

export class EventSourceMapping {
  private running = false;
  private loops: Promise<void>[] = [];
  batches = 0;

  constructor(private readonly o: MappingOptions) {}

  start() {
    this.running = true;
    for (let i = 0; i < this.o.concurrency; i++) this.loops.push(this.poll());
  }

  async stop() {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async receive(max: number, waitS: number): Promise<Message[]> {
    const out = await this.o.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.o.queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: waitS,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return out.Messages ?? [];
  }

  private async poll() {
    while (this.running) {
      try {
        const batch = await this.receive(this.o.batchSize, 1);
        if (batch.length === 0) continue;
        const until = Date.now() + this.o.windowS * 1000;
        while (this.running && batch.length < this.o.batchSize && Date.now() < until) {
          const wait = Math.min(1, Math.max(0, Math.floor((until - Date.now()) / 1000)));
          const more = await this.receive(this.o.batchSize - batch.length, wait);
          batch.push(...more);
          if (more.length === 0 && wait === 0) await new Promise((r) => setTimeout(r, 100));
        }
        await this.deliver(batch);
      } catch (e) {
        this.o.log(`poller: ${e instanceof Error ? e.message : String(e)}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async deliver(batch: Message[]) {
    this.batches++;
    const records = batch.map((m) => toRecord(m, this.o.queueArn, this.o.region));
    const outcome = await this.o.invoke({ Records: records });
    // A failed invocation deletes nothing: every record reappears after the visibility timeout.
    if (!outcome.ok) return;
    const failed = new Set(
      this.o.partialResponses
        ? ((outcome.result as SQSBatchResponse | null)?.batchItemFailures ?? []).map((f) => f.itemIdentifier)
        : [],
    );
    const done = batch.filter((m) => !failed.has(m.MessageId!));
    for (let i = 0; i < done.length; i += 10) {
      await this.o.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.o.queueUrl,
          Entries: done.slice(i, i + 10).map((m, j) => ({ Id: `d${j}`, ReceiptHandle: m.ReceiptHandle! })),
        }),
      );
    }
  }
}
