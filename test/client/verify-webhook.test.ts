import { webhookSender } from '@genledger/adapters/webhooks/webhook-sender';
import { verifyWebhook, WebhookVerificationError } from '@genledger/client';
import { newSigningSecret } from '@genledger/core/webhooks/secret-box';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Received, startReceiver } from '../support/webhook-receiver.ts';

/**
 * The client's `verifyWebhook` on what the API's own delivery sender puts on the wire (a receiver
 * on loopback records the request as it arrived): the signature holds with the endpoint's secret,
 * and nothing else passes.
 */
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const sender = webhookSender({ timeoutMs: 5_000, allowPrivateNetworks: true });
const [current, previous] = [newSigningSecret(), newSigningSecret()];
const body = JSON.stringify({
  type: 'generation.completed',
  timestamp: new Date().toISOString(),
  data: { id: crypto.randomUUID(), status: 'completed', prompt: 'a lighthouse at dusk ✓' },
});

async function delivered(secrets: string[]): Promise<Received> {
  const before = receiver.received.length;
  const sent = await sender.send({
    url: receiver.url(),
    id: crypto.randomUUID(),
    timestamp: new Date(),
    body,
    secrets,
  });
  expect(sent.ok).toBe(true);
  return (await receiver.waitFor((all) => all.length > before))[before]!;
}

const asRequest = (r: Received, raw = r.body) =>
  new Request(receiver.url(), {
    method: 'POST',
    headers: Object.entries(r.headers).map(([k, v]) => [k, String(v)] as [string, string]),
    body: raw,
  });

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver.close();
});

describe('verifyWebhook', () => {
  it('answers the message of a delivery signed with the secret, from a Request or from Node headers and body', async () => {
    const r = await delivered([current]);
    const message = await verifyWebhook<{ id: string }>(asRequest(r), current);
    expect(message).toEqual(JSON.parse(body));
    expect(await verifyWebhook({ headers: r.headers, body: r.body }, current)).toEqual(JSON.parse(body));
    expect(await verifyWebhook({ headers: r.headers, body: Buffer.from(r.body) }, current)).toEqual(
      JSON.parse(body),
    );
  });

  it('rejects a body changed by one byte, another secret, and a request without signature headers', async () => {
    const r = await delivered([current]);
    const changed = r.body.replace('dusk', 'dusK');
    await expect(verifyWebhook(asRequest(r, changed), current)).rejects.toBeInstanceOf(
      WebhookVerificationError,
    );
    await expect(verifyWebhook({ headers: r.headers, body: r.body }, previous)).rejects.toBeInstanceOf(
      WebhookVerificationError,
    );
    const { 'webhook-signature': _dropped, ...unsigned } = r.headers;
    await expect(verifyWebhook({ headers: unsigned, body: r.body }, current)).rejects.toBeInstanceOf(
      WebhookVerificationError,
    );
  });

  it("verifies with either secret during a rotation's overlap, and with a receiver's list of secrets", async () => {
    const r = await delivered([current, previous]);
    expect(String(r.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [current, previous])
      expect((await verifyWebhook(asRequest(r), secret)).type).toBe('generation.completed');
    const single = await delivered([current]);
    expect((await verifyWebhook(asRequest(single), [previous, current])).type).toBe('generation.completed');
  });
});
