// The delivery function's reads and writes on each driver: a batch's targets in one read (each with
// its URL, whether it is active, and the secrets that sign it), the generations they are about in
// another, and attempts recorded with the endpoint's failure streak, delivered ones grouped while a
// statement runs.
import type { AttemptRecord } from '@genledger/core/ports/webhooks';
import type { Database } from '@genledger/db/connect';
import { storesOf } from '@genledger/wiring/stores';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../packages/db/src/executor.ts';
import { useDatabases } from '../support/databases.ts';
import { cancelledGeneration, hookKey } from '../support/webhook-fixtures.ts';

const dbs = useDatabases();
const HOUR = 3_600_000;

async function setUp(database: Database) {
  const stores = storesOf(database);
  const apiKeyId = await hookKey(stores, 'hooks');
  const owner = { admin: false as const, apiKeyId };
  const endpoint = async (url: string, sealedSecret: string) =>
    (await stores.webhookEndpoints.create({
      apiKeyId,
      url,
      events: ['generation.completed'],
      description: '',
      sealedSecret,
    }))!.id;
  const ping = async (endpointId: string) => (await stores.webhookEndpoints.ping(endpointId, owner))!;
  /** A generation of the key with its own webhook, cancelled: the delivery of its own webhook. */
  const ownWebhook = async () => {
    const id = await cancelledGeneration(stores, apiKeyId, {
      prompt: 'tell me',
      webhook: 'https://own.example/hook',
    });
    const [deliveryId] = await stores.webhookDeliveries.unsent({ generationIds: [id], limit: 10 });
    return deliveryId!;
  };
  const query = <T>(text: string) =>
    rowsOf<T>(database.db.execute(sql.raw(text.replaceAll('$s', `"${database.schema}"`))));
  return { stores, apiKeyId, owner, endpoint, ping, ownWebhook, query, deliveries: stores.webhookDeliveries };
}

const attempt = (over: Partial<AttemptRecord>): AttemptRecord => ({
  status: 'delivered',
  statusCode: 204,
  latencyMs: 3,
  error: null,
  response: 'ok',
  nextAttemptAt: null,
  at: new Date('2026-12-08T01:00:00Z'),
  ...over,
});

describe.each(['pglite', 'postgres'] as const)('webhook deliveries on %s', (target) => {
  it('reads a batch of targets at once: URL, active, the secrets that sign, the missing left out', async () => {
    const t = await setUp(await dbs.open(target));
    const rotated = await t.endpoint('https://rotated.example/hook', 'v1.old');
    await t.stores.webhookEndpoints.rotate(rotated, t.owner, 'v1.new', new Date(Date.now() + HOUR));
    const expired = await t.endpoint('https://expired.example/hook', 'v1.expired-old');
    await t.stores.webhookEndpoints.rotate(expired, t.owner, 'v1.current', new Date(Date.now() - HOUR));
    const disabled = await t.endpoint('https://disabled.example/hook', 'v1.disabled');
    const deleted = await t.endpoint('https://deleted.example/hook', 'v1.deleted');
    const [toRotated, toExpired, toDisabled, toDeleted] = [
      await t.ping(rotated),
      await t.ping(expired),
      await t.ping(disabled),
      await t.ping(deleted),
    ];
    await t.stores.webhookEndpoints.update(disabled, t.owner, { enabled: false });
    await t.stores.webhookEndpoints.delete(deleted, t.owner);
    const own = await t.ownWebhook();
    const unknown = crypto.randomUUID();

    const read = await t.deliveries.targets([
      toRotated!,
      toExpired!,
      toDisabled!,
      toDeleted!,
      own,
      unknown,
      own,
    ]);
    const byId = new Map(read.map((r) => [r.id, r]));
    // The deleted endpoint's deliveries went with it; an unknown id is not there; a repeated one is read once.
    expect([...byId.keys()].sort()).toEqual([toRotated, toExpired, toDisabled, own].sort());
    expect(read).toHaveLength(4);
    expect(byId.get(toRotated!)).toMatchObject({
      endpointId: rotated,
      status: 'pending',
      eventType: 'webhook.ping',
      url: 'https://rotated.example/hook',
      active: true,
      // The current secret first; the previous one signs beside it until the overlap ends.
      sealedSecrets: ['v1.new', 'v1.old'],
      generationId: null,
    });
    expect(byId.get(toRotated!)!.occurredAt).toBeInstanceOf(Date);
    expect(byId.get(toExpired!)).toMatchObject({ active: true, sealedSecrets: ['v1.current'] });
    expect(byId.get(toDisabled!)).toMatchObject({ endpointId: disabled, active: false });
    // A generation's own webhook: its URL, and the key's default secret, none until the key has one.
    expect(byId.get(own)).toMatchObject({
      endpointId: null,
      eventType: 'generation.cancelled',
      url: 'https://own.example/hook',
      active: true,
      sealedSecrets: [],
      apiKeyId: t.apiKeyId,
    });
    await t.stores.webhookEndpoints.defaultSecret(t.apiKeyId, 'v1.default');
    expect((await t.deliveries.targets([own]))[0]).toMatchObject({ sealedSecrets: ['v1.default'] });
    expect(await t.deliveries.targets([])).toEqual([]);
  });

  it("reads the generations a batch's deliveries are about at once, each as get reads it", async () => {
    const t = await setUp(await dbs.open(target));
    const [a, b] = [await t.ownWebhook(), await t.ownWebhook()];
    const [ta, tb] = await t.deliveries.targets([a, b]);
    const ids = [ta!.generationId!, tb!.generationId!];
    const read = await t.stores.generations.getMany([...ids, crypto.randomUUID()]);
    expect(read.map((g) => g.id).sort()).toEqual([...ids].sort());
    for (const g of read) expect(g).toEqual(await t.stores.generations.get(g.id));
    expect(await t.stores.generations.getMany([])).toEqual([]);
  });

  it('records delivered attempts that arrive together, each once, and ends the failure streak', async () => {
    const t = await setUp(await dbs.open(target));
    const endpoint = await t.endpoint('https://streak.example/hook', 'v1.s');
    const [failing, a, b, c] = [
      await t.ping(endpoint),
      await t.ping(endpoint),
      await t.ping(endpoint),
      await t.ping(endpoint),
    ];
    const at = new Date('2026-12-08T01:00:00Z');
    // A failure starts the streak, and says since when.
    expect(
      await t.deliveries.recordAttempt(
        failing!,
        attempt({
          status: 'retrying',
          statusCode: 500,
          error: 'the receiver answered 500',
          at,
          nextAttemptAt: new Date(at.getTime() + 30_000),
        }),
      ),
    ).toEqual({ failingSince: at });
    // Three deliveries finish side by side, one of them twice (a duplicate message in the batch).
    const recorded = await Promise.all([
      t.deliveries.recordAttempt(a!, attempt({ latencyMs: 11 })),
      t.deliveries.recordAttempt(b!, attempt({ latencyMs: 12 })),
      t.deliveries.recordAttempt(c!, attempt({ latencyMs: 13, response: 'x'.repeat(5000) })),
      t.deliveries.recordAttempt(c!, attempt({ latencyMs: 14 })),
    ]);
    expect(recorded).toEqual([
      { failingSince: null },
      { failingSince: null },
      { failingSince: null },
      undefined,
    ]);
    const rows = await t.query<{
      id: string;
      status: string;
      attempts: number;
      last_latency_ms: number;
      last_response: string;
      kept: number;
    }>(
      `select d.id, d.status, d.attempts, d.last_latency_ms, d.last_response,
              (select count(*)::int from $s.webhook_delivery_attempts k where k.delivery_id = d.id) as kept
       from $s.webhook_deliveries d where d.id in ('${a}', '${b}', '${c}') order by d.last_latency_ms`,
    );
    expect(rows.map((r) => [r.id, r.status, r.attempts, r.last_latency_ms, r.kept])).toEqual([
      [a, 'delivered', 1, 11, 1],
      [b, 'delivered', 1, 12, 1],
      [c, 'delivered', 1, 13, 1],
    ]);
    // The answer's first KB only.
    expect(rows[2]!.last_response).toHaveLength(1024);
    const [streak] = await t.query<{ failing_since: unknown }>(
      `select failing_since from $s.webhook_endpoints where id = '${endpoint}'`,
    );
    expect(streak!.failing_since).toBeNull();
    // A delivered delivery stays delivered: a late failure of a duplicate changes nothing.
    expect(
      await t.deliveries.recordAttempt(a!, attempt({ status: 'retrying', statusCode: 500 })),
    ).toBeUndefined();
    expect((await t.deliveries.targets([a!]))[0]).toMatchObject({ status: 'delivered' });
  });

  it('a delivered attempt whose group fails is recorded on its own: the bad one fails alone', async () => {
    const t = await setUp(await dbs.open(target));
    const endpoint = await t.endpoint('https://group.example/hook', 'v1.g');
    const [first, a, b] = [await t.ping(endpoint), await t.ping(endpoint), await t.ping(endpoint)];
    const settled = await Promise.allSettled([
      t.deliveries.recordAttempt(first!, attempt({})),
      t.deliveries.recordAttempt(a!, attempt({})),
      t.deliveries.recordAttempt('not-a-delivery-id', attempt({})),
      t.deliveries.recordAttempt(b!, attempt({})),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const found = await t.deliveries.targets([first!, a!, b!]);
    expect(found.map((d) => d.status)).toEqual(['delivered', 'delivered', 'delivered']);
  });
});
