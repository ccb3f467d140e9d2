import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GenerationProducer } from '@genledger/adapters/sqs-producer';
import { sqsQueue } from '@genledger/adapters/sqs-queue';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { message } from '../support/sqs-events.ts';

const QUEUE = 'https://sqs.eu-central-1.amazonaws.com/123456789012/genledger-prod-Queue';
const sqs = mockClient(SQSClient);

beforeEach(() => sqs.reset());

describe('typed SQS producer', () => {
  it('sends SendMessageBatch in chunks of 10 with the validated body and attributes', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const messages = Array.from({ length: 23 }, () => message());
    const producer = new GenerationProducer(new SQSClient({ region: 'eu-central-1' }), QUEUE);
    const result = await producer.send(messages);
    expect(result.failed).toEqual([]);
    expect(result.sent).toEqual(messages.map((m) => m.generationId));
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    const first = calls[0]!.args[0].input;
    expect(first.QueueUrl).toBe(QUEUE);
    expect(first.Entries![0]).toEqual({
      Id: 'm0',
      MessageBody: JSON.stringify({
        type: 'generation.requested',
        version: 1,
        generationId: messages[0]!.generationId,
        request: {
          prompt: 'a harbour at dawn',
          name: '',
          model: 'sdxl',
          width: 512,
          height: 384,
          steps: 20,
          guidance: 7.5,
          seed: 7,
        },
      }),
      MessageAttributes: {
        type: { DataType: 'String', StringValue: 'generation.requested' },
        generationId: { DataType: 'String', StringValue: messages[0]!.generationId },
      },
    });
  });

  it('keeps every batch within 256 KiB, even with messages at their size limits', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
    const big = 'x'.repeat(3900);
    const messages = Array.from({ length: 10 }, () =>
      message({ request: { prompt: big, negativePrompt: big } }),
    );
    const producer = new GenerationProducer(new SQSClient({}), QUEUE);
    await producer.send(messages);
    const sizes = sqs
      .commandCalls(SendMessageBatchCommand)
      .map((c) => c.args[0].input.Entries!.reduce((n, e) => n + Buffer.byteLength(e.MessageBody!), 0));
    for (const s of sizes) expect(s).toBeLessThanOrEqual(256 * 1024);
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(70_000);
  });

  it('re-sends the entries SQS reports failed, gives up on sender faults and after the last attempt', async () => {
    const messages = Array.from({ length: 4 }, () => message());
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({
        Successful: [{ Id: 'm0', MessageId: 'a', MD5OfMessageBody: '' }],
        Failed: [
          { Id: 'm1', Code: 'InternalError', SenderFault: false, Message: 'try again' },
          { Id: 'm2', Code: 'InvalidParameterValue', SenderFault: true, Message: 'bad' },
          { Id: 'm3', Code: 'ServiceUnavailable', SenderFault: false },
        ],
      })
      .resolvesOnce({ Failed: [{ Id: 'm3', Code: 'ServiceUnavailable', SenderFault: false }] })
      .resolves({ Failed: [{ Id: 'm3', Code: 'ServiceUnavailable', SenderFault: false }] });
    const producer = new GenerationProducer(new SQSClient({}), QUEUE, { maxAttempts: 3, backoffMs: 1 });
    const result = await producer.send(messages);
    expect(result.sent.sort()).toEqual([messages[0]!.generationId, messages[1]!.generationId].sort());
    expect(result.failed.map((f) => f.generationId).sort()).toEqual(
      [messages[2]!.generationId, messages[3]!.generationId].sort(),
    );
    const calls = sqs.commandCalls(SendMessageBatchCommand);
    expect(calls.map((c) => c.args[0].input.Entries!.map((e) => e.Id))).toEqual([
      ['m0', 'm1', 'm2', 'm3'],
      ['m1', 'm3'],
      ['m3'],
    ]);
  });

  it('retries a batch whose call failed outright, and reports it failed after the last attempt', async () => {
    sqs.on(SendMessageBatchCommand).rejectsOnce(new Error('socket hang up')).resolves({ Failed: [] });
    const m = message();
    const ok = await new GenerationProducer(new SQSClient({}), QUEUE, { backoffMs: 1 }).send([m]);
    expect(ok).toEqual({ sent: [m.generationId], failed: [] });
    sqs.reset();
    sqs.on(SendMessageBatchCommand).rejects(new Error('socket hang up'));
    const down = await sqsQueue(QUEUE, { client: new SQSClient({}), backoffMs: 1, maxAttempts: 2 }).send([m]);
    expect(down.failed).toEqual([{ generationId: m.generationId, error: 'socket hang up' }]);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
  });

  it('validates every message first and sends nothing when one is invalid', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
    const producer = new GenerationProducer(new SQSClient({}), QUEUE);
    await expect(producer.send([message(), message({ request: { prompt: '' } })])).rejects.toMatchObject({
      kind: 'validation',
      fieldErrors: [expect.objectContaining({ field: '[1].request.prompt' })],
    });
    await expect(producer.send([{ ...message(), generationId: 'not-a-uuid' }])).rejects.toMatchObject({
      kind: 'validation',
    });
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(0);
  });

  it('sets group and deduplication ids on a FIFO queue', async () => {
    sqs.on(SendMessageBatchCommand).resolves({ Failed: [] });
    const m = message();
    await new GenerationProducer(new SQSClient({}), `${QUEUE}.fifo`).send([m]);
    const entry = sqs.commandCalls(SendMessageBatchCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry.MessageGroupId).toBe(m.generationId);
    expect(entry.MessageDeduplicationId).toBe(m.generationId);
  });
});
