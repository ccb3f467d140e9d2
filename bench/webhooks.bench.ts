// Webhooks: (1) the time from a generation's completion (its completed_at) to its signed webhook
// arriving at a receiver on loopback, under `npm start` (embedded PGlite, local queues, all in one
// process), p50 and p99; (2) deliveries per second through one instance of the delivery handler on
// a real PostgreSQL, against a baseline that only POSTs the same bodies to the same receiver.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newSigningSecret, SecretBox } from '@genledger/core/webhooks/secret-box';
import { startLocalServer } from '@genledger/local/server';
import { storesOf } from '@genledger/wiring/stores';
import { createWebhookHandler, webhookDeps } from '@genledger/wiring/webhooks';
import { sql } from 'drizzle-orm';
import { startReceiver } from '../test/support/webhook-receiver.ts';
import { benchDatabase } from './support/bench-database.ts';

const GENERATIONS = Number(process.env.BENCH_WEBHOOK_GENERATIONS ?? 200);
const DELIVERIES = Number(process.env.BENCH_WEBHOOK_DELIVERIES ?? 1000);
const SIM_GENERATIONS = Number(process.env.BENCH_WEBHOOK_SIM_GENERATIONS ?? 30);
const ADMIN = `bench-admin-key-${'b'.repeat(32)}`;

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function completionToArrival() {
  const dir = mkdtempSync(join(tmpdir(), 'gl-bench-hooks-'));
  const receiver = await startReceiver();
  const arrived = new Map<string, number>();
  receiver.answerWith((r) => {
    arrived.set(r.json.data.id, Date.now());
    return 204;
  });
  const server = await startLocalServer({
    port: 0,
    env: { DATA_DIR: dir, LOG_LEVEL: 'silent', ADMIN_API_KEY: ADMIN },
  });
  try {
    const post = (key: string, path: string, body: unknown) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<{ id: string; key: string }>);
    // A client key whose rate limit the waves stay under.
    const { key } = await post(ADMIN, '/api-keys', { name: 'bench', rateLimit: 100_000 });
    const call = (path: string, body: unknown) => post(key, path, body);
    await call('/webhook-endpoints', { url: receiver.url(), events: ['generation.completed'] });
    const ids: string[] = [];
    // Waves of 10, as a client at a steady pace would send them.
    for (let i = 0; i < GENERATIONS; i += 10) {
      const wave = await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          call('/generations', { prompt: `bench ${i + j}`, width: 256, height: 256 }),
        ),
      );
      ids.push(...wave.map((g) => g.id));
      await receiver.waitFor(() => wave.every((g) => arrived.has(g.id)), 60_000);
    }
    const t = server.database.tables.generations;
    const rows = (await server.database.db.execute(
      sql`select id, extract(epoch from completed_at) * 1000 as ms from ${t} where completed_at is not null`,
    )) as unknown as { rows: { id: string; ms: number }[] };
    const lags = rows.rows
      .map((r) => (arrived.get(r.id) ?? Number.NaN) - Number(r.ms))
      .filter(Number.isFinite);
    lags.sort((a, b) => a - b);
    return { generations: lags.length, p50Ms: quantile(lags, 0.5), p99Ms: quantile(lags, 0.99) };
  } finally {
    await server.close();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const cpuPer = (used: NodeJS.CpuUsage, n: number) => Math.round((used.user + used.system) / n);

async function handlerThroughput() {
  const receiver = await startReceiver();
  receiver.answerWith(() => 204);
  const { database, stop } = await benchDatabase('bench_webhooks', 2);
  try {
    const stores = storesOf(database);
    const box = new SecretBox('bench'.repeat(8));
    const { summary } = await stores.apiKeys.create({
      name: 'bench',
      isAdmin: false,
      rateLimit: 100,
      expiresAt: null,
    });
    const endpoint = await stores.webhookEndpoints.create({
      apiKeyId: summary!.id,
      url: receiver.url(),
      events: ['generation.completed'],
      description: '',
      sealedSecret: box.seal(newSigningSecret()),
    });
    const ids: string[] = [];
    for (let i = 0; i < DELIVERIES; i++)
      ids.push((await stores.webhookEndpoints.ping(endpoint!.id, { admin: true }))!);
    const env = { LOG_LEVEL: 'silent', WEBHOOK_SECRETS_KEY: 'bench'.repeat(8) };
    const handler = createWebhookHandler({
      deps: async () =>
        webhookDeps(database, env, {
          allowPrivateByDefault: true,
          binding: { queue: { send: async () => ({ failed: [] }) }, retryLater: async () => {} },
        }),
    });
    const record = (id: string) =>
      ({
        messageId: id,
        receiptHandle: id,
        body: JSON.stringify({ type: 'webhook.delivery', version: 1, deliveryId: id }),
        attributes: { ApproximateReceiveCount: '1' },
      }) as never;
    await handler({ Records: [record(ids[0]!)] });
    // CPU of this process per delivery: the handler and the receiver (PostgreSQL's is its own).
    let cpu = process.cpuUsage();
    let started = performance.now();
    for (let i = 1; i < ids.length; i += 10) await handler({ Records: ids.slice(i, i + 10).map(record) });
    const handlerPerS = (ids.length - 1) / ((performance.now() - started) / 1000);
    const handlerCpu = cpuPer(process.cpuUsage(cpu), ids.length - 1);
    const body = JSON.stringify({ type: 'webhook.ping', timestamp: new Date().toISOString(), data: {} });
    cpu = process.cpuUsage();
    started = performance.now();
    for (let i = 1; i < ids.length; i += 10) {
      await Promise.all(
        ids
          .slice(i, i + 10)
          .map((id) =>
            fetch(receiver.url(), { method: 'POST', headers: { 'webhook-id': id }, body }).then((r) =>
              r.arrayBuffer(),
            ),
          ),
      );
    }
    const barePerS = (ids.length - 1) / ((performance.now() - started) / 1000);
    return {
      deliveries: ids.length - 1,
      perSecond: Math.round(handlerPerS),
      cpuUsPerDelivery: handlerCpu,
      barePostsPerSecond: Math.round(barePerS),
      cpuUsPerBarePost: cpuPer(process.cpuUsage(cpu), ids.length - 1),
      ratio: Number((barePerS / handlerPerS).toFixed(2)),
    };
  } finally {
    await stop();
    await receiver.close();
  }
}

/** The same lag on the deployed shape (`npm run sim`): API, worker and delivery function as Lambdas over SQS. */
async function simCompletionToArrival() {
  const { startTestSimulation } = await import('../test/support/sim.ts');
  const receiver = await startReceiver();
  const arrived = new Map<string, number>();
  receiver.answerWith((r) => {
    arrived.set(r.json.data.id, Date.now());
    return 204;
  });
  const t = await startTestSimulation({ SIM_INSTANCE_IDLE_S: '600' });
  try {
    await t.call('POST', '/webhook-endpoints', { url: receiver.url(), events: ['generation.completed'] });
    const lags: number[] = [];
    for (let i = 0; i < SIM_GENERATIONS; i += 5) {
      const wave = await Promise.all(
        Array.from({ length: 5 }, (_, j) =>
          t.call('POST', '/generations', { prompt: `sim ${i + j}`, width: 256, height: 256 }),
        ),
      );
      await receiver.waitFor(() => wave.every((g) => arrived.has(g.body.id)), 120_000);
      for (const g of wave) {
        const done = await t.call('GET', `/generations/${g.body.id}`);
        lags.push(arrived.get(g.body.id)! - Date.parse(done.body.completedAt));
      }
    }
    lags.sort((a, b) => a - b);
    return { generations: lags.length, p50Ms: quantile(lags, 0.5), p99Ms: quantile(lags, 0.99) };
  } finally {
    await t.stop();
    await receiver.close();
  }
}

export default async function webhooksBench() {
  const latency = await completionToArrival();
  console.log(
    `completion → webhook under npm start: p50 ${latency.p50Ms.toFixed(0)} ms, p99 ${latency.p99Ms.toFixed(0)} ms (${latency.generations} generations)`,
  );
  const throughput = await handlerThroughput();
  console.log(
    `one delivery handler instance: ${throughput.perSecond} deliveries/s, ${throughput.cpuUsPerDelivery} µs CPU each; bare POSTs ${throughput.barePostsPerSecond}/s, ${throughput.cpuUsPerBarePost} µs (${throughput.ratio}× the handler)`,
  );
  const sim = await simCompletionToArrival();
  console.log(
    `completion → webhook under npm run sim: p50 ${sim.p50Ms.toFixed(0)} ms, p99 ${sim.p99Ms.toFixed(0)} ms (${sim.generations} generations)`,
  );
  return { npmStart: latency, handler: throughput, sim };
}
