import {
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  GenerationRequestedMessage,
  type GenerationRequestedMessageInput,
  MESSAGE_TYPE,
} from '@genledger/core/contracts/queue-message';
import { fieldErrorsFromZod, validationError } from '@genledger/core/errors';
import { sqsMessageBody } from './sqs-message-body.ts';

/** SQS limits: 10 entries and 256 KiB (the sum of every body and attribute) per batch. */
export const MAX_BATCH_ENTRIES = 10;
export const MAX_BATCH_BYTES = 256 * 1024;

export interface ProducerOptions {
  /** Attempts for entries SQS reports failed (throttling, internal errors); sender faults are not retried. */
  maxAttempts?: number;
  backoffMs?: number;
}

export interface ProduceResult {
  sent: string[];
  failed: { generationId: string; error: string }[];
}

function entrySize(e: SendMessageBatchRequestEntry): number {
  let size = Buffer.byteLength(e.MessageBody ?? '');
  for (const [k, v] of Object.entries(e.MessageAttributes ?? {}))
    size +=
      Buffer.byteLength(k) + Buffer.byteLength(v.StringValue ?? '') + Buffer.byteLength(v.DataType ?? '');
  return size;
}

/**
 * The typed producer other services use to request generations without any HTTP call. Every message
 * is validated first (nothing is sent when one is invalid), then sent with SendMessageBatch in
 * batches within SQS's limits; entries SQS reports failed are re-sent with backoff.
 */
export class GenerationProducer {
  private readonly fifo: boolean;

  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly options: ProducerOptions = {},
  ) {
    this.fifo = queueUrl.endsWith('.fifo');
  }

  async send(messages: readonly GenerationRequestedMessageInput[]): Promise<ProduceResult> {
    const entries = messages.map((input, i) => {
      const parsed = GenerationRequestedMessage.safeParse(input);
      if (!parsed.success) {
        throw validationError(
          `message ${i} is not a valid ${MESSAGE_TYPE} message`,
          fieldErrorsFromZod(parsed.error.issues).map((f) => ({ ...f, field: `[${i}].${f.field}` })),
        );
      }
      const m = parsed.data;
      const entry: SendMessageBatchRequestEntry = {
        Id: `m${i}`,
        MessageBody: sqsMessageBody(m),
        MessageAttributes: {
          type: { DataType: 'String', StringValue: MESSAGE_TYPE },
          generationId: { DataType: 'String', StringValue: m.generationId },
        },
        // FIFO queues deduplicate on the generation id: a re-send within 5 minutes is dropped.
        ...(this.fifo ? { MessageGroupId: m.generationId, MessageDeduplicationId: m.generationId } : {}),
      };
      if (entrySize(entry) > MAX_BATCH_BYTES)
        throw validationError(`message ${i} is larger than SQS's 256 KiB`);
      return { entry, generationId: m.generationId };
    });

    const result: ProduceResult = { sent: [], failed: [] };
    for (const batch of this.batches(entries)) await this.sendBatch(batch, result);
    return result;
  }

  private *batches<T extends { entry: SendMessageBatchRequestEntry }>(items: T[]): Generator<T[]> {
    let batch: T[] = [];
    let bytes = 0;
    for (const item of items) {
      const size = entrySize(item.entry);
      if (batch.length === MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES) {
        yield batch;
        batch = [];
        bytes = 0;
      }
      batch.push(item);
      bytes += size;
    }
    if (batch.length) yield batch;
  }

  private async sendBatch(
    batch: { entry: SendMessageBatchRequestEntry; generationId: string }[],
    result: ProduceResult,
  ) {
    const maxAttempts = this.options.maxAttempts ?? 3;
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      let failedIds: Map<string, { senderFault: boolean; message: string }>;
      try {
        const out = await this.client.send(
          new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending.map((p) => p.entry) }),
        );
        failedIds = new Map(
          (out.Failed ?? []).map((f) => [
            f.Id ?? '',
            { senderFault: f.SenderFault ?? false, message: `${f.Code}: ${f.Message ?? ''}` },
          ]),
        );
      } catch (e) {
        // The whole call failed (network, throttling): every entry is retried.
        const message = e instanceof Error ? e.message : String(e);
        failedIds = new Map(pending.map((p) => [p.entry.Id ?? '', { senderFault: false, message }]));
      }
      const retry: typeof pending = [];
      for (const p of pending) {
        const failure = failedIds.get(p.entry.Id ?? '');
        if (!failure) result.sent.push(p.generationId);
        else if (failure.senderFault || attempt >= maxAttempts)
          result.failed.push({ generationId: p.generationId, error: failure.message });
        else retry.push(p);
      }
      pending = retry;
      if (pending.length)
        await new Promise((r) => setTimeout(r, (this.options.backoffMs ?? 100) * 2 ** (attempt - 1)));
    }
  }
}
