// Operational webhook events on a real PostgreSQL: each born in the transaction of the state change
// that causes it (a dead-lettering, a retry batch's completion, an endpoint disabled), delivered by
// the very delivery handler the Lambda runs to a receiver on loopback that verifies every request
// with standardwebhooks' own Webhook.verify. The webhook queue is an in-memory list the test drains
// (SQS's part is covered by delivery.test.ts); time is an injected clock, never a sleep.
import { streams } from '@genledger/core/contracts/events';
import { webhookDeliveryMessage } from '@genledger/core/contracts/webhooks';
import type { WebhookQueue } from '@genledger/core/ports/webhooks';
import { changeFailedMessageStatus } from '@genledger/core/use-cases/failed-messages/change-status';
import type { DeadLetterRecord } from '@genledger/core/use-cases/failed-messages/ingest-dead-letter';
import { newSigningSecret, SecretBox } from '@genledger/core/webhooks/secret-box';
import { createDeadLetterHandler, deadLetterDeps } from '@genledger/wiring/dead-letter';
import { announcedRetryBatches, announcer } from '@genledger/wiring/operational-webhooks';
import { storesOf } from '@genledger/wiring/stores';
import {
  createWebhookDeadLetterHandler,
  createWebhookHandler,
  webhookDeps,
} from '@genledger/wiring/webhooks';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';
import { ADMIN_KEY, useHttpApi } from '../support/http-api.ts';
import { sqsEvent, sqsRecord } from '../support/sqs-events.ts';
import { type Received, startReceiver } from '../support/webhook-receiver.ts';

const dbs = useDatabases();
const http = useHttpApi(dbs, 'postgres');
const ENV = { LOG_LEVEL: 'silent', WEBHOOK_SECRETS_KEY: 's'.repeat(40) };
const DAY_MS = 24 * 3600 * 1000;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe('operational webhook events', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let adminKeyId: string;
  let plainKeyId: string;
  /** The webhook queue: ids in the order they were sent; `pump` delivers them. */
  const queued: string[] = [];
  const queue: WebhookQueue = {
    send: async (ids) => {
      queued.push(...ids);
      return { failed: [] };
    },
  };
  let now = new Date('2026-12-01T00:00:00Z');
  const stores = () => storesOf(http.database);
  const deliver = createWebhookHandler({
    deps: async () =>
      webhookDeps(http.database, ENV, {
        binding: { queue, retryLater: async () => {} },
        allowPrivateByDefault: true,
        clock: { now: () => now },
      }),
  });
  const box = new SecretBox(ENV.WEBHOOK_SECRETS_KEY);

  /** Each queued delivery, one attempt each, as the delivery function receives them. */
  async function pump() {
    while (queued.length) {
      const id = queued.shift()!;
      await deliver(sqsEvent(sqsRecord(JSON.stringify(webhookDeliveryMessage(id)))));
    }
  }

  async function endpoint(apiKeyId: string, path: string, events: string[]) {
    const secret = newSigningSecret();
    const created = await stores().webhookEndpoints.create({
      apiKeyId,
      url: receiver.url(path),
      events: events as never,
      description: path,
      sealedSecret: box.seal(secret),
    });
    return { id: created!.id, secret };
  }

  const at = (path: string, type?: string) =>
    receiver.received.filter((r) => r.path === path && (!type || r.json.type === type));

  /**
   * Checks a request as a receiver would, against the injected clock (days apart from the real one,
   * which Webhook.verify's freshness check reads): signed at the attempt's time, and its signature
   * the one standardwebhooks' own `sign` makes with the endpoint's published secret.
   */
  const verified = (secret: string, r: Received): { type: string; data: any } => {
    const timestamp = Number(r.headers['webhook-timestamp']);
    expect(timestamp).toBe(Math.floor(now.getTime() / 1000));
    const expected = new Webhook(secret).sign(
      r.headers['webhook-id'] as string,
      new Date(timestamp * 1000),
      r.body,
    );
    expect((r.headers['webhook-signature'] as string).split(' ')).toContain(expected);
    return r.json;
  };

  beforeAll(async () => {
    receiver = await startReceiver();
    receiver.answerWith((r) => (r.path.startsWith('/down') ? 500 : r.path === '/gone' ? 410 : 200));
    const keys = await stores().apiKeys.list();
    adminKeyId = keys.find((k) => k.isAdmin)!.id;
    plainKeyId = (await http.newKey()).id;
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('refuses operational events to a non-admin key (400 naming them, nothing written); an admin key may', async () => {
    const plain = await http.newKey();
    const asked = {
      url: receiver.url('/refused'),
      events: ['generation.completed', 'failure_group.spiking'],
    };
    const refused = await http.api.post('/webhook-endpoints', { key: plain.key, body: asked });
    expect(refused.status).toBe(400);
    expect(refused.body.detail).toContain('failure_group.spiking need an admin key');
    expect(refused.body.errors).toEqual([{ field: 'events', message: expect.stringContaining('admin key') }]);
    expect((await http.api.get('/webhook-endpoints', { key: plain.key })).body.items).toEqual([]);

    const own = await http.api.post('/webhook-endpoints', {
      key: plain.key,
      body: { url: receiver.url('/own'), events: ['generation.completed'] },
    });
    expect(own.status).toBe(201);
    const patched = await http.api.call('PATCH', `/webhook-endpoints/${own.body.id}`, {
      key: plain.key,
      body: { events: ['retry_batch.completed'] },
    });
    expect(patched.status).toBe(400);
    // An admin may not add them to another key's endpoint either: that key would hear every key's failures.
    const byAdmin = await http.api.call('PATCH', `/webhook-endpoints/${own.body.id}`, {
      key: ADMIN_KEY,
      body: { events: ['retry_batch.completed'] },
    });
    expect(byAdmin.status).toBe(400);
    expect(byAdmin.body.detail).toContain("admin key's own endpoints");

    const admin = await http.api.post('/webhook-endpoints', {
      key: ADMIN_KEY,
      body: {
        url: receiver.url('/admin-api'),
        events: ['failed_message.created', 'webhook_endpoint.disabled'],
      },
    });
    expect(admin.status, admin.text).toBe(201);
    expect(admin.body).toMatchObject({ events: ['failed_message.created', 'webhook_endpoint.disabled'] });
    await http.api.delete(`/webhook-endpoints/${admin.body.id}`, { key: ADMIN_KEY });
  });

  const record = (i: number, failedAt: Date, messageId = crypto.randomUUID()): DeadLetterRecord => ({
    messageId,
    body: JSON.stringify({ type: 'ops.test', n: i }),
    attributes: {},
    receiveCount: 3,
    queue: 'arn:aws:sqs:local:0:main',
    failedAt,
    generationId: null,
    messageType: 'ops.test',
    model: null,
    invalidReason: null,
    cause: { type: 'OpsTestError', message: 'boom', stack: 'OpsTestError\n    at run (ops.ts:1)' },
  });

  /** A dead-lettering ingested and announced, as the DLQ handler does, at the given time. */
  async function deadLetter(i: number, failedAt: Date) {
    const stored = await stores().failedMessages.ingest(record(i, failedAt));
    await announcer(http.database, queue, silent)([stored.id, ...stored.groupIds]);
    return stored;
  }

  it('failed_message.created and failure_group.created: once per message and group, data as GET returns it', async () => {
    const ops = await endpoint(adminKeyId, '/ops', ['failed_message.created', 'failure_group.created']);
    // A non-admin endpoint that holds them anyway (written past the API) hears nothing.
    await endpoint(plainKeyId, '/sneaky', ['failed_message.created', 'failure_group.created']);
    // Through the DLQ Lambda's own handler: the record, its ingest, and the send of what it wrote.
    const dlq = createDeadLetterHandler({
      deps: async () => ({ ...deadLetterDeps(http.database, ENV, undefined, queue), logger: silent }),
    });
    const body = JSON.stringify({ type: 'ops.test', n: 'via-handler' });
    const first = sqsRecord(body);
    expect(await dlq(sqsEvent(first))).toEqual({ batchItemFailures: [] });
    // SQS hands the same record over again, and the message fails again later: neither is "created".
    await dlq(sqsEvent(first));
    await dlq(sqsEvent(sqsRecord(body)));
    await pump();

    const created = at('/ops', 'failed_message.created');
    expect(created).toHaveLength(1);
    const event = verified(ops.secret, created[0]!);
    const detail = await stores().failedMessages.get(event.data.id);
    expect(event.data).toEqual(JSON.parse(JSON.stringify(detail)));
    expect(event.data).toMatchObject({ body, attemptCount: 2 });

    const groups = at('/ops', 'failure_group.created');
    expect(groups.length).toBeGreaterThan(0);
    expect(new Set(groups.map((g) => g.json.data.id)).size).toBe(groups.length);
    for (const g of groups) {
      verified(ops.secret, g);
      expect(g.json.data).toEqual(
        JSON.parse(JSON.stringify(await stores().failedMessages.group(g.json.data.id))),
      );
      expect(detail!.groups.map((m) => m.id)).toContain(g.json.data.id);
    }
    expect(at('/sneaky')).toEqual([]);
    // Each is in the event log too.
    const feed = await stores().events.readStream(streams.failureGroup(groups[0]!.json.data.id));
    expect(feed.map((e) => e.type)).toEqual(['FailureGroupCreated']);
    await stores().webhookEndpoints.delete(ops.id, { admin: true });
  });

  it('failure_group.spiking: once when the window reaches the threshold, again only after the spike ended', async () => {
    const ops = await endpoint(adminKeyId, '/spikes', ['failure_group.spiking']);
    await stores().settings.set('alerts.groupSpikeFailures', 3);
    await stores().settings.set('alerts.groupSpikeWindowMinutes', 15);
    const t0 = new Date('2026-12-02T10:00:00Z').getTime();
    const minute = (m: number) => new Date(t0 + m * 60_000);
    // Five failures within 15 minutes: the third raises the spike, the fourth and fifth do not.
    for (const m of [0, 1, 2, 3, 4]) await deadLetter(200 + m, minute(m));
    await pump();
    const first = at('/spikes');
    const groupIds = [...new Set(first.map((r) => r.json.data.id))];
    expect(groupIds.length).toBeGreaterThan(0);
    expect(first).toHaveLength(groupIds.length);
    const spike = verified(ops.secret, first[0]!);
    expect(spike).toMatchObject({ type: 'failure_group.spiking', data: { id: groupIds[0] } });
    expect(new Date(first[0]!.json.timestamp).getTime()).toBeGreaterThan(0);

    // An hour later, one failure: the window holds one (≤ half the threshold), so the spike is over…
    await deadLetter(260, minute(60));
    await pump();
    expect(at('/spikes')).toHaveLength(groupIds.length);
    // …and a new one is raised when the window fills again.
    await deadLetter(261, minute(61));
    await deadLetter(262, minute(62));
    await pump();
    expect(at('/spikes')).toHaveLength(2 * groupIds.length);
    for (const id of groupIds) {
      const events = await stores().events.readStream(streams.failureGroup(id));
      expect(events.filter((e) => e.type === 'FailureGroupSpiking')).toHaveLength(2);
    }
    await stores().webhookEndpoints.delete(ops.id, { admin: true });
  });

  it('retry_batch.completed: once, with the batch as GET /retry-batches returns it', async () => {
    const ops = await endpoint(adminKeyId, '/batches', ['retry_batch.completed']);
    const stored = await deadLetter(300, new Date('2026-12-03T00:00:00Z'));
    const outcome = await changeFailedMessageStatus(
      { failedMessages: stores().failedMessages },
      'retry',
      { ids: [stored.id] },
      { requestedBy: null },
    );
    const batches = announcedRetryBatches(stores().retryBatches, announcer(http.database, queue, silent));
    await batches.complete(outcome.retryBatchId!);
    await batches.complete(outcome.retryBatchId!);
    await pump();
    const done = at('/batches');
    expect(done).toHaveLength(1);
    expect(verified(ops.secret, done[0]!).data).toEqual(
      JSON.parse(JSON.stringify(await stores().retryBatches.get(outcome.retryBatchId!))),
    );
    expect(done[0]!.json.data).toMatchObject({ status: 'completed', total: 1 });
    await stores().webhookEndpoints.delete(ops.id, { admin: true });
  });

  async function ping(endpointId: string, when: Date) {
    now = when;
    const id = await stores().webhookEndpoints.ping(endpointId, { admin: true });
    queued.push(id!);
    await pump();
  }
  const endpointOf = async (id: string) => http.api.get(`/webhook-endpoints/${id}`, { key: ADMIN_KEY });

  it('disables an endpoint whose deliveries failed for 5 days, not before; webhook_endpoint.disabled is raised once', async () => {
    const ops = await endpoint(adminKeyId, '/disabled', ['webhook_endpoint.disabled']);
    const down = await endpoint(plainKeyId, '/down-5d', ['generation.completed']);
    const t0 = new Date('2026-12-10T00:00:00Z').getTime();
    await ping(down.id, new Date(t0));
    expect((await endpointOf(down.id)).body).toMatchObject({
      enabled: true,
      failingSince: new Date(t0).toISOString(),
    });
    await ping(down.id, new Date(t0 + 5 * DAY_MS - 1000));
    expect((await endpointOf(down.id)).body).toMatchObject({ enabled: true, disabledReason: null });
    expect(at('/disabled')).toEqual([]);

    await ping(down.id, new Date(t0 + 5 * DAY_MS));
    const off = (await endpointOf(down.id)).body;
    expect(off).toMatchObject({
      enabled: false,
      disabledReason: 'failing',
      failingSince: new Date(t0).toISOString(),
    });
    const told = at('/disabled');
    expect(told).toHaveLength(1);
    expect(verified(ops.secret, told[0]!)).toMatchObject({ type: 'webhook_endpoint.disabled' });
    expect(told[0]!.json.data).toEqual(off);
    const log = await stores().events.readStream(streams.webhookEndpoint(down.id));
    // After its creation's audit event (endpoint-audit.test.ts), the disabling, once.
    expect(log.map((e) => e.event.type)).toEqual(['WebhookEndpointCreated', 'WebhookEndpointDisabled']);
    expect(log.slice(1).map((e) => e.event)).toEqual([
      {
        type: 'WebhookEndpointDisabled',
        endpointId: down.id,
        apiKeyId: plainKeyId,
        reason: 'failing',
        failingSince: new Date(t0).toISOString(),
      },
    ]);
    // Disabled, nothing more is sent to it, and nothing more is raised.
    const hits = at('/down-5d').length;
    await ping(down.id, new Date(t0 + 6 * DAY_MS));
    expect(at('/down-5d')).toHaveLength(hits);
    expect(at('/disabled')).toHaveLength(1);
    await stores().webhookEndpoints.delete(ops.id, { admin: true });
  });

  it('a success ends the streak: 5 days are counted from the first failure after it; enabling again starts afresh', async () => {
    const flaky = await endpoint(plainKeyId, '/down-flaky', ['generation.completed']);
    const t0 = new Date('2026-12-20T00:00:00Z').getTime();
    await ping(flaky.id, new Date(t0));
    receiver.answerWith((r) => (r.path === '/down-flaky' ? 200 : r.path.startsWith('/down') ? 500 : 200));
    await ping(flaky.id, new Date(t0 + 3 * DAY_MS));
    expect((await endpointOf(flaky.id)).body).toMatchObject({ failingSince: null });
    receiver.answerWith((r) => (r.path.startsWith('/down') ? 500 : r.path === '/gone' ? 410 : 200));
    await ping(flaky.id, new Date(t0 + 4 * DAY_MS));
    await ping(flaky.id, new Date(t0 + 8 * DAY_MS));
    expect((await endpointOf(flaky.id)).body).toMatchObject({ enabled: true });
    await ping(flaky.id, new Date(t0 + 9 * DAY_MS));
    expect((await endpointOf(flaky.id)).body).toMatchObject({ enabled: false, disabledReason: 'failing' });

    const again = await http.api.call('PATCH', `/webhook-endpoints/${flaky.id}`, {
      key: ADMIN_KEY,
      body: { enabled: true },
    });
    expect(again.body).toMatchObject({ enabled: true, disabledReason: null, failingSince: null });
    await ping(flaky.id, new Date(t0 + 10 * DAY_MS));
    expect((await endpointOf(flaky.id)).body).toMatchObject({ enabled: true });
  });

  it('a 410 disables with the same reason shape and raises webhook_endpoint.disabled', async () => {
    const ops = await endpoint(adminKeyId, '/disabled-gone', ['webhook_endpoint.disabled']);
    const gone = await endpoint(plainKeyId, '/gone', ['generation.completed']);
    await ping(gone.id, new Date('2026-12-30T00:00:00Z'));
    const off = (await endpointOf(gone.id)).body;
    expect(off).toMatchObject({ enabled: false, disabledReason: 'gone' });
    const told = at('/disabled-gone');
    expect(told).toHaveLength(1);
    expect(verified(ops.secret, told[0]!).data).toEqual(off);
    const [, event] = await stores().events.readStream(streams.webhookEndpoint(gone.id));
    expect(event?.event).toMatchObject({ type: 'WebhookEndpointDisabled', reason: 'gone' });
  });

  it('a dead-lettered delivery raises failed_message.created, unless it carried an operational event (no loop)', async () => {
    const ops = await endpoint(adminKeyId, '/loop', ['failed_message.created']);
    const target = await endpoint(plainKeyId, '/loop-target', ['generation.completed']);
    const dlq = createWebhookDeadLetterHandler({
      deps: async () => ({ database: http.database, maxReceiveCount: 13, logger: silent, queue }),
    });
    const deadLettered = (deliveryId: string) =>
      dlq(sqsEvent(sqsRecord(JSON.stringify(webhookDeliveryMessage(deliveryId)), { receiveCount: 14 })));
    // A ping that never got through, dead-lettered: the operators hear of it.
    const pingId = await stores().webhookEndpoints.ping(target.id, { admin: true });
    expect(await deadLettered(pingId!)).toEqual({ batchItemFailures: [] });
    await pump();
    const told = at('/loop', 'failed_message.created');
    expect(told).toHaveLength(1);
    expect(verified(ops.secret, told[0]!).data).toMatchObject({ messageType: 'webhook.delivery' });
    // That announcement dead-lettered in turn (the admin endpoint was down): recorded, not announced.
    const announcement = told[0]!.headers['webhook-id'] as string;
    expect(await deadLettered(announcement)).toEqual({ batchItemFailures: [] });
    await pump();
    expect(at('/loop', 'failed_message.created')).toHaveLength(1);
    const { items } = await stores().failedMessages.list(
      { statuses: ['unresolved'], q: announcement },
      { field: 'lastFailedAt', descending: true },
      10,
    );
    expect(items.map((m) => m.messageType)).toEqual(['webhook.delivery']);
    await stores().webhookEndpoints.delete(ops.id, { admin: true });
  });
});
