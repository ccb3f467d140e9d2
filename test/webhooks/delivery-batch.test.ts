// A batch of deliveries through deliverWebhooks, its reads made once for the batch: each delivery
// still ends as it would alone (sent with its generation as data, skipped when its generation or
// endpoint is gone or disabled, missing, or a duplicate of one delivered), and a repeated delivery
// in the batch is sent by each of its records.
import type { WebhookRequest } from '@genledger/core/ports/webhooks';
import { deliverWebhooks } from '@genledger/core/use-cases/deliver-webhook';
import { newSigningSecret, SecretBox } from '@genledger/core/webhooks/secret-box';
import type { Database } from '@genledger/db/connect';
import { storesOf } from '@genledger/wiring/stores';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';
import { cancelledGeneration, hookKey } from '../support/webhook-fixtures.ts';

const dbs = useDatabases();

describe('a batch of webhook deliveries', () => {
  let database: Database;
  const box = new SecretBox('b'.repeat(40));
  const secret = newSigningSecret();
  let apiKeyId: string;
  const owner = () => ({ admin: false as const, apiKeyId });

  beforeAll(async () => {
    database = await dbs.open('postgres');
    apiKeyId = await hookKey(storesOf(database), 'batch');
  });

  const endpoint = async (url: string) =>
    (await storesOf(database).webhookEndpoints.create({
      apiKeyId,
      url,
      events: ['generation.cancelled'],
      description: '',
      sealedSecret: box.seal(secret),
    }))!.id;

  /** A cancelled generation of the key: its delivery to each subscribed endpoint, by endpoint. */
  async function cancelled(prompt: string) {
    const stores = storesOf(database);
    const id = await cancelledGeneration(stores, apiKeyId, { prompt });
    const deliveries = await stores.webhookDeliveries.unsent({ generationIds: [id], limit: 10 });
    const found = await stores.webhookDeliveries.targets(deliveries);
    return { id, to: (endpointId: string) => found.find((t) => t.endpointId === endpointId)!.id };
  }

  it('ends each delivery as it would alone', async () => {
    const live = await endpoint('https://live.example/hook');
    const off = await endpoint('https://off.example/hook');
    const [kept, deleted, done] = [
      await cancelled('kept'),
      await cancelled('deleted'),
      await cancelled('done'),
    ];
    await storesOf(database).webhookEndpoints.update(off, owner(), { enabled: false });
    await database.db.execute(sql`delete from ${database.tables.generations} where id = ${deleted.id}`);
    const requests: WebhookRequest[] = [];
    const deps = {
      deliveries: storesOf(database).webhookDeliveries,
      generations: storesOf(database).generations,
      secrets: box,
      render: async (g: { id: string; status: string }) => ({ id: g.id, status: g.status }),
      renderResource: async () => undefined,
      clock: { now: () => new Date('2026-12-08T02:00:00Z') },
      retryBaseS: 30,
      disableAfterFailingS: 432_000,
      defaultSecret: async () => box.seal(secret),
      sender: {
        send: async (r: WebhookRequest) => {
          requests.push(r);
          return { ok: true, status: 204, latencyMs: 1, body: '' } as const;
        },
      },
    };
    // One delivered before the batch: a duplicate message of it sends nothing.
    await Promise.all(deliverWebhooks(deps, [{ deliveryId: done.to(live), attempt: 1 }]));
    requests.length = 0;

    const batch = [
      kept.to(live),
      kept.to(off),
      deleted.to(live),
      crypto.randomUUID(),
      done.to(live),
      kept.to(live),
    ];
    const outcomes = await Promise.all(
      deliverWebhooks(
        deps,
        batch.map((deliveryId) => ({ deliveryId, attempt: 1 })),
      ),
    );
    expect(outcomes).toEqual([
      { done: true, result: 'delivered' },
      { done: true, result: 'skipped' },
      { done: true, result: 'skipped' },
      { done: true, result: 'missing' },
      { done: true, result: 'duplicate' },
      // The same delivery twice in one batch (a duplicate message): each record sends it, as two
      // receives side by side would; receivers deduplicate on webhook-id.
      { done: true, result: 'delivered' },
    ]);
    expect(requests.map((r) => r.id)).toEqual([kept.to(live), kept.to(live)]);
    expect(JSON.parse(requests[0]!.body)).toMatchObject({
      type: 'generation.cancelled',
      data: { id: kept.id, status: 'cancelled' },
    });
    const skipped = await storesOf(database).webhookDeliveries.targets([kept.to(off), deleted.to(live)]);
    expect(skipped.map((t) => t.status)).toEqual(['skipped', 'skipped']);
  });
});
