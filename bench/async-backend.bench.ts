// Worker time per generation, a synchronous backend against an asynchronous one, for a generation
// that takes GENERATION_S seconds on the GPU (default 30): what a deployed worker Lambda is billed
// for. The synchronous backend (genledger's HTTP contract) answers after GENERATION_S; the Cog fake
// answers 202 at once and calls back after GENERATION_S. Both run under `npm start`'s local server
// on a real PostgreSQL; worker time is read from the run journal (the synchronous attempt's
// duration; the asynchronous attempt's submittedAt − startedAt), the callback's cost from its round
// trip. Not a test: nothing asserts on time.

import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalServer } from '@genledger/local/server';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../packages/db/src/executor.ts';
import { startCogFake } from '../test/support/backends/cog-fake.ts';
import { pngDataUrl } from '../test/support/backends/http-fake.ts';
import { benchDatabase } from './support/bench-database.ts';

const GENERATION_S = Number(process.env.BENCH_GENERATION_S ?? 30);
const ADMIN = `bench-async-admin-${'b'.repeat(30)}`;

async function run(
  env: Record<string, string>,
  schema: string,
  afterSubmit?: (id: string) => Promise<number>,
) {
  const { database, stop } = await benchDatabase(schema, 6);
  const server = await startLocalServer({
    database,
    port: 0,
    env: {
      LOG_LEVEL: 'silent',
      ADMIN_API_KEY: ADMIN,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'gl-bench-')),
      ...env,
    },
  });
  try {
    const res = await fetch(`${server.url}/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'bench', width: 512, height: 512 }),
    });
    const { id } = (await res.json()) as { id: string };
    const run = async () =>
      (
        await rowsOf<{
          duration_ms: number | null;
          started_at: Date;
          submitted_at: Date | null;
          status: string;
        }>(
          database.db.execute(
            sql.raw(
              `select duration_ms, started_at, submitted_at, status from "${schema}".generation_runs where generation_id = '${id}'`,
            ),
          ),
        )
      )[0];
    let callbackMs = 0;
    for (;;) {
      const r = await run();
      if (afterSubmit && r?.submitted_at && callbackMs === 0) callbackMs = await afterSubmit(id);
      if (r?.status === 'completed') {
        const workerMs = r.submitted_at
          ? new Date(r.submitted_at).getTime() - new Date(r.started_at).getTime()
          : (r.duration_ms ?? 0);
        return { workerMs, callbackMs, wallMs: r.duration_ms ?? 0 };
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await server.close();
    await stop();
  }
}

export default async function asyncBackendBench() {
  // Synchronous: a backend that holds the request for the whole generation.
  const slow = createServer((req, res) => {
    req.resume();
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ output: pngDataUrl() }));
    }, GENERATION_S * 1000);
  });
  await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
  const sync = await run(
    {
      GENERATOR_URL: `http://127.0.0.1:${(slow.address() as AddressInfo).port}/`,
      GENERATOR_TIMEOUT_MS: String((GENERATION_S + 30) * 1000),
    },
    'bench_async_sync',
  );
  slow.close();

  const cog = await startCogFake();
  const asyncRun = await run({ GENERATOR_URL: `cog+${cog.url}` }, 'bench_async_cog', async (id) => {
    await new Promise((r) => setTimeout(r, GENERATION_S * 1000));
    const began = performance.now();
    await (await cog.finish(`${id}-1`, { status: 'succeeded', predictTime: GENERATION_S })).text();
    return Math.round(performance.now() - began);
  });
  await cog.close();

  const figures = {
    generationSeconds: GENERATION_S,
    synchronousWorkerMs: sync.workerMs,
    asynchronousWorkerMs: asyncRun.workerMs,
    asynchronousCallbackMs: asyncRun.callbackMs,
    workerTimeRatio: Number((asyncRun.workerMs / Math.max(1, sync.workerMs)).toFixed(5)),
  };
  console.log(
    `worker time per ${GENERATION_S} s generation: synchronous ${sync.workerMs} ms, asynchronous ${asyncRun.workerMs} ms ` +
      `(+ ${asyncRun.callbackMs} ms for the callback on the API) — ratio ${figures.workerTimeRatio}`,
  );
  return figures;
}
