// Message bodies on SQS's real wire protocol (fauxqs, in-process): a prompt holding characters SQS
// refuses (U+FFFE, U+FFFF) or that the sim's SQS refuses (beyond U+FFFF: emoji) is sent escaped and
// read back as the same text, through the Queue port the API sends with and the attempt queue's
// deferred send. Without the escaping the same body is refused (InvalidMessageContents), which the
// API would have answered 202 for, leaving the generation unsent on every re-send.
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sqsAttemptQueue } from '@genledger/adapters/sqs-attempt-queue';
import { sqsQueue } from '@genledger/adapters/sqs-queue';
import { localhostDns, type SimSqs, startSqs } from '@genledger/sim/sqs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { message } from '../support/sqs-events.ts';

let sqs: SimSqs;
let restoreDns: () => void;
let client: SQSClient;

beforeAll(async () => {
  sqs = await startSqs();
  restoreDns = localhostDns();
  client = new SQSClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});
afterAll(async () => {
  restoreDns?.();
  await sqs?.stop();
});

const HOSTILE = 'a lighthouse 🌅 at dusk \uFFFE\uFFFF \u0001\u001F \u2028\u2029 𝕲 \uD7FF\uE000\uFFFD';

async function receiveAll(url: string) {
  const got = await client.send(
    new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
  );
  return (got.Messages ?? []).map((m) => JSON.parse(m.Body!));
}

describe('SQS message bodies', () => {
  it('refuses the raw JSON of such a prompt: what the escaping is for', async () => {
    const queue = sqs.createQueue('Raw');
    await expect(
      client.send(
        new SendMessageCommand({ QueueUrl: queue.url, MessageBody: JSON.stringify({ prompt: HOSTILE }) }),
      ),
    ).rejects.toThrow(/Invalid characters/);
  });

  it('sends a generation with hostile Unicode in its prompt and reads back the same message', async () => {
    const queue = sqs.createQueue('Generations');
    const m = message({ request: { prompt: HOSTILE, negativePrompt: '\uFFFF🌅' } });
    const result = await sqsQueue(queue.url, { client }).send([m]);
    expect(result.failed).toEqual([]);
    const [back] = await receiveAll(queue.url);
    expect(back.request.prompt).toBe(HOSTILE);
    expect(back.request.negativePrompt).toBe('\uFFFF🌅');
    expect(back.generationId).toBe(m.generationId);
  });

  it("sends the attempt queue's deferred message the same way", async () => {
    const queue = sqs.createQueue('Attempts');
    const m = message({ request: { prompt: HOSTILE } });
    await sqsAttemptQueue(queue.url, { client }).sendLater(m, 0);
    const [back] = await receiveAll(queue.url);
    expect(back.request.prompt).toBe(HOSTILE);
  });

  it('round-trips any well-formed text', async () => {
    const queue = sqs.createQueue('Property');
    const send = sqsQueue(queue.url, { client });
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }), async (prompt) => {
        const m = message({ request: { prompt } });
        expect((await send.send([m])).failed).toEqual([]);
        const [back] = await receiveAll(queue.url);
        expect(back.request.prompt).toBe(prompt);
      }),
      { numRuns: 40 },
    );
  });
});
