// What makes delivery at least once: a delivery row commits with the event that raises it (the
// trigger of migration 0011, under the event store's one append path), so a crash or a failed send
// between that commit and the queue leaves a row maintenance re-sends; a duplicate message changes
// nothing once delivered; a receive whose worker died sends again under the same webhook-id.
import type { WebhookRequest } from '@genledger/core/ports/webhooks';
import { deliverWebhook } from '@genledger/core/use-cases/deliver-webhook';
import { sendWebhookDeliveries } from '@genledger/core/use-cases/send-webhook-deliveries';
import { newSigningSecret, SecretBox } from '@genledger/core/webhooks/secret-box';
import type { Database } from '@genledger/db/connect';
import { webhookResendStep } from '@genledger/wiring/maintenance';
import { storesOf } from '@genledger/wiring/stores';
import { beforeAll, describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';
import { cancelledGeneration, hookKey } from '../support/webhook-fixtures.ts';

const dbs = useDatabases();

describe('webhook deliveries at least once', () => {
  let database: Database;
  const box = new SecretBox('m'.repeat(40));
  const secret = newSigningSecret();
  let endpointId: string;
  let apiKeyId: string;

  beforeAll(async () => {
    database = await dbs.open('postgres');
    const stores = storesOf(database);
    apiKeyId = await hookKey(stores, 'hooks');
    const endpoint = await stores.webhookEndpoints.create({
      apiKeyId,
      url: 'https://receiver.example/hook',
      events: ['generation.cancelled'],
      description: '',
      sealedSecret: box.seal(secret),
    });
    endpointId = endpoint!.id;
  });

  /** A generation of the key, cancelled: its GenerationCancelled event writes the delivery row. */
  const cancelledOfKey = () => cancelledGeneration(storesOf(database), apiKeyId, { prompt: 'cancel me' });

  it('a send that fails leaves the row unsent, and maintenance re-sends it', async () => {
    const deliveries = storesOf(database).webhookDeliveries;
    const generationId = await cancelledOfKey();
    const [row] = await deliveries.unsent({ generationIds: [generationId], limit: 10 });
    expect(row).toBeDefined();
    const refusing = { send: async (ids: readonly string[]) => ({ failed: [...ids] }) };
    expect(
      await sendWebhookDeliveries({ deliveries, queue: refusing }, { generationIds: [generationId] }),
    ).toBe(0);
    expect(await deliveries.unsent({ generationIds: [generationId], limit: 10 })).toEqual([row]);

    const sent: string[] = [];
    const queue = {
      send: async (ids: readonly string[]) => {
        sent.push(...ids);
        return { failed: [] };
      },
    };
    // A grace keeps a live sender's rows to it; at 0 everything unsent goes.
    expect(await webhookResendStep(database, queue, 60_000).run()).toEqual({ resent: 0 });
    expect(await webhookResendStep(database, queue, 0).run()).toMatchObject({ resent: expect.any(Number) });
    expect(sent).toContain(row);
    expect(await deliveries.unsent({ generationIds: [generationId], limit: 10 })).toEqual([]);
  });

  it('a receive whose worker died sends again with the same webhook-id; a duplicate after delivery sends nothing', async () => {
    const generationId = await cancelledOfKey();
    const [deliveryId] = await storesOf(database).webhookDeliveries.unsent({
      generationIds: [generationId],
      limit: 1,
    });
    const requests: WebhookRequest[] = [];
    const clock = { now: () => new Date('2026-01-02T03:04:05Z') };
    const deps = {
      deliveries: storesOf(database).webhookDeliveries,
      generations: storesOf(database).generations,
      secrets: box,
      render: (g: unknown) => g,
      renderResource: async () => undefined,
      clock,
      retryBaseS: 30,
      disableAfterFailingS: 432_000,
      defaultSecret: async () => box.seal(secret),
      sender: {
        send: async (r: WebhookRequest) => {
          requests.push(r);
          return requests.length === 1
            ? ({ ok: true, status: 500, latencyMs: 3, body: 'boom' } as const)
            : ({ ok: true, status: 204, latencyMs: 2, body: '' } as const);
        },
      },
    };
    // The first receive: a 500, tried again after the base delay, as the injected clock dates it.
    expect(await deliverWebhook(deps, { deliveryId: deliveryId!, attempt: 1 })).toEqual({
      done: false,
      delaySeconds: 30,
      reason: 'the receiver answered 500',
    });
    const [target] = await deps.deliveries.targets([deliveryId!]);
    expect(target).toMatchObject({ status: 'retrying', endpointId });
    // The second: delivered. A third (SQS delivered the message twice) finds it delivered.
    expect(await deliverWebhook(deps, { deliveryId: deliveryId!, attempt: 2 })).toEqual({
      done: true,
      result: 'delivered',
    });
    expect(await deliverWebhook(deps, { deliveryId: deliveryId!, attempt: 3 })).toEqual({
      done: true,
      result: 'duplicate',
    });
    expect(requests).toHaveLength(2);
    expect(new Set(requests.map((r) => r.id))).toEqual(new Set([deliveryId]));
    expect(requests[0]!.timestamp).toEqual(clock.now());
    expect(JSON.parse(requests[0]!.body)).toMatchObject({
      type: 'generation.cancelled',
      data: { id: generationId, status: 'cancelled' },
    });
  });
});
