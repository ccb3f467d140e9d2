// One key's row locked (a long transaction holding it) while 16 of that key's requests keep
// waiting on it: another key's latency and throughput against the same key unlocked, and when the
// locked key's 503s come against DB_LOCK_TIMEOUT_MS (each of its 16 clients sends again as soon as
// it has its answer). The mechanism is tested in test/api/key-lock.test.ts; the ratios are here.
import { ApiKeyStore } from '@genledger/db/api-key-store';
import { openDatabase } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { migrate } from '@genledger/db/migrator';
import { startLocalServer } from '@genledger/local/server';
import autocannon from 'autocannon';
import pg from 'pg';
import { startBenchServer } from './support/bench-server.ts';
import { sampleLockWaits } from './support/lock-waits.ts';

const DURATION_S = Number(process.env.BENCH_HTTP_SECONDS ?? 6);
const LOCK_TIMEOUT_MS = 2_000;
const LOCKED_IN_FLIGHT = 16;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

export default async function keyLockBench() {
  const pgServer = await startBenchServer();
  const database = await openDatabase(
    { url: pgServer.url, schema: 'bench_key_lock', pool: { max: 10, lockTimeoutMs: LOCK_TIMEOUT_MS } },
    {},
  );
  await migrate(database);
  const keys = new ApiKeyStore(database, new EventStore(database));
  const locked = await keys.create({ name: 'locked', isAdmin: false, rateLimit: 100_000_000 });
  const other = await keys.create({ name: 'other', isAdmin: false, rateLimit: 100_000_000 });
  const app = await startLocalServer({ database, port: 0, env: { LOG_LEVEL: 'silent' } });
  const body = JSON.stringify({ prompt: 'a lighthouse at dusk', model: 'sdxl' });
  const load = async () => {
    const r = await autocannon({
      url: `${app.url}/generations`,
      method: 'POST',
      headers: { authorization: `Bearer ${other.key}`, 'content-type': 'application/json' },
      body,
      connections: 8,
      duration: DURATION_S,
    });
    return { rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx };
  };
  await autocannon({ url: `${app.url}/health`, connections: 4, duration: 1 });

  const unlocked = await load();

  const holder = new pg.Client({ connectionString: pgServer.url });
  await holder.connect();
  await holder.query('begin');
  await holder.query('select 1 from bench_key_lock.api_keys where id = $1 for update', [locked.summary!.id]);
  let running = true;
  const lockWaits = sampleLockWaits(pgServer.url);
  const answers: { status: number; ms: number }[] = [];
  const oneLocked = async () => {
    while (running) {
      const began = performance.now();
      const res = await fetch(`${app.url}/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${locked.key}`, 'content-type': 'application/json' },
        body,
      });
      await res.arrayBuffer();
      answers.push({ status: res.status, ms: performance.now() - began });
    }
  };
  const lockedClients = Array.from({ length: LOCKED_IN_FLIGHT }, oneLocked);
  const whileLocked = await load();
  running = false;
  await Promise.all(lockedClients);
  const waits = await lockWaits();
  await holder.query('commit');
  await holder.end();

  const refused = answers.filter((a) => a.status === 503).map((a) => a.ms);
  const figures = {
    lockTimeoutMs: LOCK_TIMEOUT_MS,
    otherKeyUnlocked: unlocked,
    otherKeyWhileLocked: whileLocked,
    otherKeyP50Ratio: Math.round((whileLocked.p50 / Math.max(unlocked.p50, 1)) * 100) / 100,
    otherKeyRpsRatio: Math.round((whileLocked.rps / Math.max(unlocked.rps, 1)) * 100) / 100,
    lockedKey: {
      answers: answers.length,
      refused503: refused.length,
      medianMs: Math.round(median(refused)),
      maxMs: Math.round(Math.max(...refused)),
      maxOverLockTimeout: Math.round((Math.max(...refused) / LOCK_TIMEOUT_MS) * 100) / 100,
      lockWaits: waits,
    },
  };
  console.log(JSON.stringify(figures, null, 2));
  await app.close();
  await database.close();
  await pgServer.stop();
  return figures;
}
