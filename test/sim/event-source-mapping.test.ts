// The sim's SQS event source mapping on SQS's real wire protocol (fauxqs, in-process), as Lambda
// documents MaximumBatchingWindowInSeconds: with a window, a poller that received fewer messages
// than the batch size keeps receiving until the batch is full or the window ends, then invokes;
// without one, it invokes with what one receive returned. The sim tests run the config's windows
// (the worker has none by default), so the windowed receive is proven here.
import { GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EventSourceMapping } from '@genledger/sim/event-source-mapping';
import { localhostDns, REGION, type SimSqs, startSqs } from '@genledger/sim/sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

let sqs: SimSqs;
let restoreDns: () => void;
let client: SQSClient;
const mappings: EventSourceMapping[] = [];

beforeAll(async () => {
  sqs = await startSqs();
  restoreDns = localhostDns();
  client = new SQSClient({ region: REGION, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
});
afterEach(async () => {
  await Promise.all(mappings.splice(0).map((m) => m.stop()));
});
afterAll(async () => {
  restoreDns?.();
  await sqs?.stop();
});

/** A mapping whose invocations are recorded (their bodies, in order) and succeed. */
function mapping(name: string, batchSize: number, windowS: number) {
  const queue = sqs.createQueue(name);
  const batches: string[][] = [];
  let wake: () => void = () => {};
  const m = new EventSourceMapping({
    client,
    queueUrl: queue.url,
    queueArn: queue.arn,
    region: REGION,
    batchSize,
    windowS,
    partialResponses: true,
    concurrency: 1,
    invoke: async (event: SQSEvent) => {
      batches.push(event.Records.map((r) => r.body));
      wake();
      return { ok: true, result: { batchItemFailures: [] }, coldStart: false, durationMs: 0 };
    },
    log: () => {},
  });
  mappings.push(m);
  m.start();
  const send = (body: string) =>
    client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body }));
  const invoked = (count: number) =>
    new Promise<void>((resolve) => {
      wake = () => batches.length >= count && resolve();
      wake();
    });
  /** Resolves once `n` messages are in flight: a poller has received them and holds them. */
  const inFlight = async (n: number) => {
    for (;;) {
      const got = await client.send(
        new GetQueueAttributesCommand({
          QueueUrl: queue.url,
          AttributeNames: ['ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      if (Number(got.Attributes?.ApproximateNumberOfMessagesNotVisible) >= n) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { batches, send, invoked, inFlight };
}

describe('the sim’s SQS event source mapping', () => {
  it('with a window, holds a received message until the batch fills, then invokes once with both', async () => {
    // A window far longer than the test: only a full batch can end it.
    const q = mapping('Windowed', 2, 300);
    await q.send('first');
    await q.inFlight(1);
    await q.send('second');
    await q.invoked(1);
    expect(q.batches).toEqual([['first', 'second']]);
  });

  it('without a window, invokes with what one receive returned, not waiting for a neighbour', async () => {
    const q = mapping('Unwindowed', 2, 0);
    await q.send('alone');
    await q.invoked(1);
    await q.send('later');
    await q.invoked(2);
    expect(q.batches).toEqual([['alone'], ['later']]);
  });

  it('with a window that ends before the batch fills, invokes with the one message it holds', async () => {
    const q = mapping('WindowEnds', 10, 1);
    await q.send('only');
    await q.invoked(1);
    expect(q.batches).toEqual([['only']]);
  });
});
