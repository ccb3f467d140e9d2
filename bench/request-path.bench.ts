// Where a request's CPU goes, in Node and in Postgres (on a machine they share, both bound the
// HTTP bench's throughput). This times each stage of POST /generations and GET /generations/:id on its own (µs per
// call, best of three runs of many calls) and the whole request in-process through `app.fetch`
// against a real server (CPU µs per request, from process.cpuUsage, Postgres excluded), beside
// the same figure for a bare pg INSERT. Stages: routing, body read and parse, validation, building
// the statement (drizzle), the pg driver, serialising the reply, the request log line, and the
// Lambda adapter (event → Request, Response → result).
import { openSync, writeSync } from 'node:fs';
import { jsonLogger } from '@genledger/adapters/json-logger';
import { createApp } from '@genledger/api/app';
import { requestFromEvent, resultFromResponse } from '@genledger/api/lambda-adapter';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import { EventStore } from '@genledger/db/event-store';
import { httpDeps } from '@genledger/wiring/http-deps';
import { Hono } from 'hono';
import pg from 'pg';
import { GenerationRequest } from '../packages/api/src/contracts.ts';
import { apiGatewayEvent } from '../test/support/apigw-event.ts';
import { benchDatabase } from './support/bench-database.ts';
import { postgresCpuMs } from './support/postgres-cpu.ts';

const BODY = JSON.stringify({ prompt: 'a lighthouse at dusk, oil painting', model: 'sdxl', steps: 30 });

/** µs per call: best of three runs of `n` calls (the machine is shared). */
async function perCall(n: number, fn: () => unknown | Promise<unknown>): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1000 / n);
  }
  return Number(best.toFixed(1));
}

/** Node CPU µs per call (user + system), best of three runs: waiting on Postgres costs none. */
async function cpuPerCall(n: number, fn: () => unknown): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) {
    const c = process.cpuUsage();
    for (let i = 0; i < n; i++) await fn();
    const used = process.cpuUsage(c);
    best = Math.min(best, (used.user + used.system) / n);
  }
  return Number(best.toFixed(1));
}

export default async function requestPathBench() {
  const { server, database, stop } = await benchDatabase('bench_path', 4);
  const rawPool = new pg.Pool({ connectionString: server.url, max: 4 });
  try {
    const keys = new ApiKeyStore(database, new EventStore(database));
    const { key } = await keys.create({ name: 'path', rateLimit: 100_000_000 });
    const silent = jsonLogger('silent');
    const devNull = openSync('/dev/null', 'w');
    const logging = jsonLogger('info', { fn: 'api' }, (line) => writeSync(devNull, `${line}\n`));
    const deps = (logger: typeof silent) =>
      httpDeps(database, {
        queue: { send: async () => ({ failed: [] }) },
        logger,
        cursorSecret: 'c'.repeat(40),
      });
    const app = createApp(deps(silent));
    const appLogging = createApp(deps(logging));
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const post = (a = app) =>
      a.fetch(new Request('http://x/generations', { method: 'POST', headers, body: BODY }));
    const first = (await (await post()).json()) as { id: string };
    const get = () => app.fetch(new Request(`http://x/generations/${first.id}`, { headers }));

    // Whole requests in-process (no HTTP server, no socket): Node CPU per request.
    const n = 1500;
    // Postgres CPU per request, for requests/s per database core (docs/scale.md).
    const pgMicros = async (fn: () => unknown) => {
      const before = postgresCpuMs(server.port);
      for (let i = 0; i < 3000; i++) await fn();
      return Number((((postgresCpuMs(server.port) - before) * 1000) / 3000).toFixed(1));
    };
    const pgPost = await pgMicros(() => post());
    const pgGet = await pgMicros(get);
    const pgBareInsert = await pgMicros(() =>
      rawPool.query(
        'insert into bench_path.generations (id, prompt, model, steps) values ($1, $2, $3, $4) returning *',
        [crypto.randomUUID(), 'a lighthouse at dusk, oil painting', 'sdxl', 30],
      ),
    );
    const wholePost = await cpuPerCall(n, () => post());
    const wholePostLogged = await cpuPerCall(n, () => post(appLogging));
    const wholeGet = await cpuPerCall(n, get);
    const barePost = await cpuPerCall(n, () =>
      rawPool.query(
        'insert into bench_path.generations (id, prompt, model, steps) values ($1, $2, $3, $4) returning *',
        [crypto.randomUUID(), 'a lighthouse', 'sdxl', 30],
      ),
    );
    const bareGet = await cpuPerCall(n, () =>
      rawPool.query('select * from bench_path.generations where id = $1', [first.id]),
    );

    // Stages on their own.
    const router = new Hono();
    for (const p of ['/generations', '/generations/:id', '/generations/:id/cancel', '/api-keys', '/events'])
      router.post(p, (c) => c.text('')).get(p, (c) => c.text(''));
    const m = 20_000;
    const routing = await perCall(m, () =>
      router.fetch(new Request('http://x/generations', { method: 'POST' })),
    );
    const requestObject = await perCall(
      m,
      () => new Request('http://x/generations', { method: 'POST', headers, body: BODY }),
    );
    const bodyParse = await perCall(m, () => JSON.parse(BODY));
    const validation = await perCall(m, () => GenerationRequest.safeParse(JSON.parse(BODY)));
    const record = (await (await get()).json()) as Record<string, unknown>;
    const serialise = await perCall(m, () => JSON.stringify(record));
    const logLine = await perCall(m, () =>
      logging.info('request', {
        method: 'POST',
        route: '/generations',
        path: '/generations',
        status: 202,
        durationMs: 1.23,
        requestId: 'b7c1d3e4-0000-4000-8000-000000000000',
        keyPrefix: 'AbCdEfGh',
      }),
    );
    const gate = await perCall(m, () => keys.gate(key, false));
    const event = apiGatewayEvent('POST', '/generations', {
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: BODY,
    });
    const response = new Response(JSON.stringify(record), {
      status: 202,
      headers: { 'content-type': 'application/json', 'x-request-id': 'r' },
    });
    const adapter = await perCall(m / 4, async () => {
      requestFromEvent(event);
      return resultFromResponse(response.clone());
    });

    const figures = {
      requestsTimed: n,
      cpuMicrosPerRequest: {
        post: wholePost,
        postWithInfoLogging: wholePostLogged,
        getById: wholeGet,
        bareInsertPgOnly: barePost,
        bareSelectPgOnly: bareGet,
      },
      postgresCpuMicrosPerRequest: { post: pgPost, getById: pgGet, bareInsert: pgBareInsert },
      stageMicros: {
        routingHono: routing,
        requestObject,
        bodyJsonParse: bodyParse,
        validationZod: validation,
        keyGateStatementParts: gate,
        replyJsonStringify: serialise,
        logLine,
        lambdaAdapterBothWays: adapter,
      },
    };
    console.log(
      [
        `Node CPU per request, in-process through app.fetch (no socket): POST ${wholePost} µs (${wholePostLogged} µs with the info log line), GET /generations/:id ${wholeGet} µs; bare pg INSERT ${barePost} µs, SELECT by id ${bareGet} µs`,
        `Postgres CPU per request (fsync off): POST ${pgPost} µs, GET /generations/:id ${pgGet} µs; bare pg INSERT ${pgBareInsert} µs`,
        `stages (µs per call): routing ${routing}, Request object ${requestObject}, JSON.parse ${bodyParse}, zod validation ${validation}, key-gate SQL parts ${gate}, reply JSON ${serialise}, log line ${logLine}, Lambda adapter both ways ${adapter}`,
      ].join('\n'),
    );
    return figures;
  } finally {
    await rawPool.end();
    await stop();
  }
}
