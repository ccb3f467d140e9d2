// HTTP throughput through the local server (the same app Lambda runs) against a real PostgreSQL,
// as a ratio to a bare node:http handler on the same server and pool doing one raw INSERT/SELECT.
// Database round trips are counted by wrapping pg's Client#query (every query is one round trip).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { noQueue } from '@genledger/api/no-queue';
import type { Queue } from '@genledger/core/ports/queue';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import { openDatabase } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { migrate } from '@genledger/db/migrator';
import { startLocalServer } from '@genledger/local/server';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { countRoundTrips } from '../test/support/round-trips.ts';
import { insertGeneration, readJson } from './support/bare-generations.ts';
import { startBenchServer } from './support/bench-server.ts';

/** Installed for the duration of the bench, restored at its end. */
let roundTrips: ReturnType<typeof countRoundTrips>;

const DURATION_S = Number(process.env.BENCH_HTTP_SECONDS ?? 6);
const CONNECTIONS = 16;

/** Stands in for SQS: accepts every message at once, so POST measures our side only. */
const acceptingQueue: Queue = { send: async () => ({ failed: [] }) };

interface Figures {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  roundTripsPerRequest: number;
}

async function load(opts: {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** One key per connection (many clients), instead of every connection on one key's row. */
  keys?: string[];
}): Promise<Figures> {
  const { keys, ...rest } = opts;
  let next = 0;
  const run = (duration: number) =>
    autocannon({
      ...rest,
      connections: CONNECTIONS,
      duration,
      ...(keys
        ? {
            setupClient: (client: { setHeaders(h: Record<string, string>): void }) =>
              client.setHeaders({ ...rest.headers, authorization: `Bearer ${keys[next++ % keys.length]}` }),
          }
        : {}),
    });
  // Warm-up (JIT, pool connections, health cache), not counted.
  await run(1);
  roundTrips.reset();
  const r = await run(DURATION_S);
  const total = r.requests.total;
  return {
    rps: Math.round(r.requests.average),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.non2xx,
    roundTripsPerRequest: total > 0 ? Math.round((roundTrips.count / total) * 100) / 100 : Number.NaN,
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export default async function httpBench() {
  roundTrips = countRoundTrips();
  const pgServer = await startBenchServer();
  const database = await openDatabase({ url: pgServer.url, schema: 'bench_http', pool: { max: 10 } }, {});
  await migrate(database);
  const keyStore = new ApiKeyStore(database, new EventStore(database));
  const manyKeys: string[] = [];
  let keyId = '';
  for (let i = 0; i < CONNECTIONS; i++) {
    const created = await keyStore.create({ name: `bench ${i}`, isAdmin: false, rateLimit: 100_000_000 });
    manyKeys.push(created.key);
    keyId ||= created.summary!.id;
  }
  const key = manyKeys[0]!;
  const app = await startLocalServer({
    database,
    port: 0,
    env: { LOG_LEVEL: 'silent' },
    queue: acceptingQueue,
  });
  const noQueueApp = await startLocalServer({
    database,
    port: 0,
    env: { LOG_LEVEL: 'silent' },
    queue: noQueue,
  });
  const body = JSON.stringify({ prompt: 'a lighthouse at dusk, oil painting', model: 'sdxl', steps: 30 });
  const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };

  // The baseline: a bare handler on the same pool, one raw statement per request.
  const rawPool = new pg.Pool({ connectionString: pgServer.url, max: 10 });
  const bare = createServer((req, res) => {
    const done = (text: string) => {
      res.writeHead(req.method === 'POST' ? 202 : 200, { 'content-type': 'application/json' });
      res.end(text);
    };
    if (req.method === 'POST') {
      readJson<Parameters<typeof insertGeneration>[2]>(req, (b) =>
        insertGeneration(rawPool, 'bench_http.generations', b).then((r) => done(JSON.stringify(r.rows[0]))),
      );
    } else if (req.url?.startsWith('/generations/')) {
      rawPool
        .query('select * from bench_http.generations where id = $1', [req.url.slice('/generations/'.length)])
        .then((r) => done(JSON.stringify(r.rows[0])));
    } else {
      rawPool
        .query('select * from bench_http.generations order by created_at desc, id desc limit 20')
        .then((r) => done(JSON.stringify({ items: r.rows })));
    }
  });
  const bareUrl = await listen(bare);

  const results: Record<string, Figures> = {};
  // The machine is shared: each ratio's two sides run alternately, two rounds, best of each.
  const best = (runs: Figures[]) => runs.reduce((a, b) => (b.rps > a.rps ? b : a));
  const paired = async (bare: Parameters<typeof load>[0], ours: Parameters<typeof load>[0]) => {
    const b: Figures[] = [];
    const o: Figures[] = [];
    for (let round = 0; round < 2; round++) {
      b.push(await load(bare));
      o.push(await load(ours));
    }
    return [best(b), best(o)] as const;
  };
  [results.barePost, results.appPost] = await paired(
    { url: `${bareUrl}/generations`, method: 'POST', headers: auth, body },
    { url: `${app.url}/generations`, method: 'POST', headers: auth, body },
  );
  results.appPostNoQueue = await load({
    url: `${noQueueApp.url}/generations`,
    method: 'POST',
    headers: auth,
    body,
  });
  [results.bareGet, results.appGet] = await paired(
    { url: `${bareUrl}/generations`, method: 'GET' },
    { url: `${app.url}/generations?limit=20`, method: 'GET', headers: auth },
  );
  const someId = (
    (await (await fetch(`${app.url}/generations?limit=1`, { headers: auth })).json()) as {
      items: { id: string }[];
    }
  ).items[0]!.id;
  // GET /generations/:id against a bare SELECT by primary key.
  [results.bareGetOne, results.appGetOne] = await paired(
    { url: `${bareUrl}/generations/${someId}`, method: 'GET' },
    { url: `${app.url}/generations/${someId}`, method: 'GET', headers: auth },
  );
  results.appPostManyKeys = await load({
    url: `${app.url}/generations`,
    method: 'POST',
    headers: auth,
    body,
    keys: manyKeys,
  });
  results.appGetManyKeys = await load({
    url: `${app.url}/generations?limit=20`,
    method: 'GET',
    headers: auth,
    keys: manyKeys,
  });

  // Keyset paging: page 1,000 costs what the first page costs. The key's list is topped up
  // server-side to just over 1,000 pages of 100 rows first.
  const owned = await database.db.$count(
    database.tables.generations,
    sql`${database.tables.generations.apiKeyId} = ${keyId}`,
  );
  const wanted = 100_200;
  if (owned < wanted) {
    await database.db.execute(sql`
      insert into bench_http.generations (id, api_key_id, prompt, model, created_at, updated_at)
      select gen_random_uuid(), ${keyId}::uuid, 'seeded ' || g, case when g % 3 = 0 then 'flux' else 'sdxl' end,
             now() - (g || ' seconds')::interval, now() - (g || ' seconds')::interval
      from generate_series(1, ${wanted - owned}) g`);
    await database.db.execute(sql`analyze bench_http.generations`);
  }
  const rows = await database.db.$count(
    database.tables.generations,
    sql`${database.tables.generations.apiKeyId} = ${keyId}`,
  );
  const timePage = async (cursor: string | null) => {
    const started = performance.now();
    for (let i = 0; i < 50; i++) {
      await fetch(
        `${app.url}/generations?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { headers: auth },
      );
    }
    return (performance.now() - started) / 50;
  };
  let cursor: string | null = null;
  let depth = 0;
  for (; depth < Math.min(999, Math.floor(rows / 100) - 2); depth++) {
    const page = (await (
      await fetch(
        `${app.url}/generations?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { headers: auth },
      )
    ).json()) as {
      nextCursor: string | null;
    };
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  // Alternating, best of three each.
  const firstRuns: number[] = [];
  const deepRuns: number[] = [];
  for (let round = 0; round < 3; round++) {
    firstRuns.push(await timePage(null));
    deepRuns.push(await timePage(cursor));
  }
  const firstPageMs = Math.min(...firstRuns);
  const deepPageMs = Math.min(...deepRuns);

  await app.close();
  await noQueueApp.close();
  await new Promise<void>((resolve) => bare.close(() => resolve()));
  await rawPool.end();
  await database.db.execute(sql`select 1`);
  await database.close();
  await pgServer.stop();
  roundTrips.restore();

  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  const figures = {
    connections: CONNECTIONS,
    durationSeconds: DURATION_S,
    post: {
      ...results.appPost,
      bareRps: results.barePost!.rps,
      ratio: ratio(results.appPost!.rps, results.barePost!.rps),
      bareRoundTrips: results.barePost!.roundTripsPerRequest,
    },
    postManyKeys: {
      ...results.appPostManyKeys,
      ratio: ratio(results.appPostManyKeys!.rps, results.barePost!.rps),
    },
    getManyKeys: {
      ...results.appGetManyKeys,
      ratio: ratio(results.appGetManyKeys!.rps, results.bareGet!.rps),
    },
    postNoQueue: {
      ...results.appPostNoQueue,
      ratio: ratio(results.appPostNoQueue!.rps, results.barePost!.rps),
    },
    getOne: {
      ...results.appGetOne,
      bareRps: results.bareGetOne!.rps,
      ratio: ratio(results.appGetOne!.rps, results.bareGetOne!.rps),
      bareRoundTrips: results.bareGetOne!.roundTripsPerRequest,
    },
    get: {
      ...results.appGet,
      bareRps: results.bareGet!.rps,
      ratio: ratio(results.appGet!.rps, results.bareGet!.rps),
      bareRoundTrips: results.bareGet!.roundTripsPerRequest,
    },
    paging: {
      rows,
      deepPage: depth + 1,
      firstPageMs: Math.round(firstPageMs * 100) / 100,
      deepPageMs: Math.round(deepPageMs * 100) / 100,
      ratio: ratio(deepPageMs, firstPageMs),
    },
  };
  console.log(
    [
      `POST /generations: ${figures.post.rps} req/s (bare INSERT ${figures.post.bareRps}) ratio ${figures.post.ratio} (target >= 0.6), p50 ${figures.post.p50} ms p99 ${figures.post.p99} ms, ${figures.post.roundTripsPerRequest} round trips/request (target 1), errors ${figures.post.errors}`,
      `POST /generations, no queue configured: ${figures.postNoQueue.rps} req/s ratio ${figures.postNoQueue.ratio}, ${figures.postNoQueue.roundTripsPerRequest} round trips/request (the failed send marks the generation not-enqueued: +1)`,
      `GET /generations: ${figures.get.rps} req/s (bare SELECT ${figures.get.bareRps}) ratio ${figures.get.ratio}, p50 ${figures.get.p50} ms p99 ${figures.get.p99} ms, ${figures.get.roundTripsPerRequest} round trips/request (the list: key check, then the page), errors ${figures.get.errors}`,
      `GET /generations/:id: ${figures.getOne.rps} req/s (bare SELECT by id ${figures.getOne.bareRps}) ratio ${figures.getOne.ratio}, p50 ${figures.getOne.p50} ms p99 ${figures.getOne.p99} ms, ${figures.getOne.roundTripsPerRequest} round trips/request (target 1), errors ${figures.getOne.errors}`,
      `with ${CONNECTIONS} keys (one per connection): POST ${figures.postManyKeys.rps} req/s ratio ${figures.postManyKeys.ratio} p50 ${figures.postManyKeys.p50} ms p99 ${figures.postManyKeys.p99} ms; GET ${figures.getManyKeys.rps} req/s ratio ${figures.getManyKeys.ratio} p50 ${figures.getManyKeys.p50} ms p99 ${figures.getManyKeys.p99} ms`,
      `keyset paging over ${rows} rows of one key: page 1 ${figures.paging.firstPageMs} ms, page ${depth + 1} ${figures.paging.deepPageMs} ms, ratio ${figures.paging.ratio} (target <= 1.2)`,
    ].join('\n'),
  );
  return figures;
}
