// Cold start the way Lambda bills it: in a fresh Node process, import the bundle and serve one
// invocation against a real PostgreSQL (connection, first statements and all). For the API a
// `POST /generations` and a `GET /generations/:id` event, for the worker one SQS record; each
// against the floor both stand on, measured in the same run, alternating (A/B/A/B), median of the
// runs: a bare handler bundled the same way that opens pg and runs the one statement
// (support/bare-handler.ts). `apiPostNeon` is the API's POST on the deployed driver: Neon's
// serverless driver over a WebSocket, through the local relay that stands in for Neon's proxy (as
// `npm run sim` does), beside a bare handler on the same driver (support/bare-neon-handler.ts).
// The relay runs in this process, so the fresh processes are awaited, never run synchronously.
// Every case runs on Lambda's Node, the major version the config's runtime names (nodejs22.x;
// support/lambda-node.ts: the registry's build, or COLD_START_NODE), on the other of Node 22 and 24
// (the current LTS) and on this process's Node beside them, the three alternating: on Node 20 `pg`
// alone loads undici at import (docs/benchmarks.md), which moves the floor.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import { EventStore } from '@genledger/db/event-store';
import { GenerationStore } from '@genledger/db/generation-store';
import { functionDefaults } from '../infra/settings.ts';
import { apiGatewayEvent } from '../test/support/apigw-event.ts';
import { sqsEvent, sqsRecord } from '../test/support/sqs-events.ts';
import { startWsRelay } from '../test/support/ws-relay.ts';
import { benchDatabase } from './support/bench-database.ts';
import { lambdaBundle } from './support/lambda-bundle.ts';
import { type BenchNode, lambdaNode, ownNode, registryNode } from './support/lambda-node.ts';

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
/** BENCH_COLD_PROFILE=<dir>: every fresh process writes a V8 CPU profile there (1 ms means nothing at 100 µs sampling). */
const PROFILE = process.env.BENCH_COLD_PROFILE
  ? ['--cpu-prof', '--cpu-prof-interval', '100', '--cpu-prof-dir', process.env.BENCH_COLD_PROFILE]
  : [];
async function bundle(entry: string, outdir: string): Promise<string> {
  return join(process.cwd(), (await lambdaBundle(entry, outdir, false)).file);
}

/** One cold start in a fresh process: import, then the first invocation, both timed inside it. */
async function coldStart(node: string, file: string, event: unknown, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'gl-cold-'));
  const eventFile = join(dir, 'event.json');
  writeFileSync(eventFile, JSON.stringify(event));
  const script = `
    import { readFileSync } from 'node:fs';
    const event = JSON.parse(readFileSync(${JSON.stringify(eventFile)}, 'utf8'));
    const f0 = process.resourceUsage().minorPageFault;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const m = await import(${JSON.stringify(file)});
    const t1 = performance.now();
    const r = await m.handler(event);
    const t2 = performance.now();
    const faults = process.resourceUsage().minorPageFault - f0;
    const c = process.cpuUsage(c0);
    console.log(JSON.stringify({ importMs: t1 - t0, invokeMs: t2 - t1, cpuMs: (c.user + c.system) / 1000, faults, status: r.statusCode ?? (r.batchItemFailures.length ? 500 : 200) }));
    process.exit(0);`;
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      node,
      [...PROFILE, '--input-type=module', '-e', script],
      { env: { PATH: process.env.PATH ?? '', ...env, DATA_DIR: dir, LOG_LEVEL: 'silent' }, encoding: 'utf8' },
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)),
    ),
  ).finally(() => rmSync(dir, { recursive: true, force: true }));
  return JSON.parse(out.trim().split('\n').at(-1)!) as {
    importMs: number;
    invokeMs: number;
    /** CPU time of import and invocation, every thread of the process (GC helpers included). */
    cpuMs: number;
    /** Minor page faults during import and invocation: ≈ 17 µs each on this VM (docs/benchmarks.md). */
    faults: number;
    status: number;
  };
}

type Run = Awaited<ReturnType<typeof coldStart>>;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Number(x.toFixed(1));

interface Case {
  app: string;
  floor: string;
  /** The stack's floor (support/stack-handler.ts): the app's libraries doing the least, none of its code. */
  stack?: string;
  env: Record<string, string>;
  event: () => Promise<unknown>;
}

const total = (rs: Run[]) => median(rs.map((r) => r.importMs + r.invokeMs));
const cpu = (rs: Run[]) => median(rs.map((r) => r.cpuMs));

/** The stack's floor beside the app and the bare floor: how much of the app's cold start its libraries take. */
function stackFigures(app: Run[], floor: Run[], stack: Run[]) {
  return {
    statuses: [...new Set(stack.map((r) => r.status))],
    importMs: round(median(stack.map((r) => r.importMs))),
    firstInvocationMs: round(median(stack.map((r) => r.invokeMs))),
    totalMs: round(total(stack)),
    cpuMs: round(cpu(stack)),
    pageFaults: median(stack.map((r) => r.faults)),
    /** The stack's floor ÷ the bare floor: the least any app on these libraries can reach. */
    ratio: Number((total(stack) / total(floor)).toFixed(2)),
    cpuRatio: Number((cpu(stack) / cpu(floor)).toFixed(2)),
    /** The app ÷ the stack's floor: what genledger's own code adds. */
    appRatio: Number((total(app) / total(stack)).toFixed(2)),
    appCpuRatio: Number((cpu(app) / cpu(stack)).toFixed(2)),
  };
}

/** Medians and ratios of one case on one Node. */
function figures(name: string, node: BenchNode, app: Run[], floor: Run[], stack: Run[]) {
  const f = {
    statuses: [...new Set(app.map((r) => r.status))],
    importMs: round(median(app.map((r) => r.importMs))),
    firstInvocationMs: round(median(app.map((r) => r.invokeMs))),
    totalMs: round(total(app)),
    floorImportMs: round(median(floor.map((r) => r.importMs))),
    floorFirstInvocationMs: round(median(floor.map((r) => r.invokeMs))),
    floorTotalMs: round(total(floor)),
    ratio: Number((total(app) / total(floor)).toFixed(2)),
    // CPU time moves less than wall time with the shared machine's load.
    cpuMs: round(median(app.map((r) => r.cpuMs))),
    floorCpuMs: round(median(floor.map((r) => r.cpuMs))),
    cpuRatio: Number((median(app.map((r) => r.cpuMs)) / median(floor.map((r) => r.cpuMs))).toFixed(2)),
    floorStatuses: [...new Set(floor.map((r) => r.status))],
    pageFaults: median(app.map((r) => r.faults)),
    floorPageFaults: median(floor.map((r) => r.faults)),
    ...(stack.length ? { stack: stackFigures(app, floor, stack) } : {}),
  };
  const driver = name === 'apiPostNeon' ? 'Neon driver' : 'pg';
  console.log(
    `${node.version.padEnd(9)} ${name.padEnd(16)} import ${f.importMs} + first invocation ${f.firstInvocationMs} = ${f.totalMs} ms; floor (${driver}, one statement, no app) ${f.floorImportMs} + ${f.floorFirstInvocationMs} = ${f.floorTotalMs} ms → ratio ${f.ratio} (target ≤ 1.5); CPU ${f.cpuMs} vs ${f.floorCpuMs} ms → ${f.cpuRatio}; statuses ${f.statuses.join(',')} / ${f.floorStatuses.join(',')}; page faults ${f.pageFaults} (floor ${f.floorPageFaults})`,
  );
  if (f.stack)
    console.log(
      `${''.padEnd(9)} ${`${name} stack`.padEnd(16)} the libraries alone (Hono, zod, drizzle, ${driver}; one route, one schema, one INSERT) ${f.stack.importMs} + ${f.stack.firstInvocationMs} = ${f.stack.totalMs} ms, CPU ${f.stack.cpuMs} ms → ${f.stack.ratio} / CPU ${f.stack.cpuRatio} × the floor; the app ${f.stack.appRatio} / CPU ${f.stack.appCpuRatio} × the stack; page faults ${f.stack.pageFaults}; statuses ${f.stack.statuses.join(',')}`,
    );
  return f;
}

/**
 * One case on every Node: app and floor alternating, and the Nodes alternating within each run
 * (24, 22, 20, 24, …), so that a change of the shared machine's load falls on all of them alike.
 */
async function measure(name: string, nodes: BenchNode[], c: Case) {
  const runs = nodes.map(() => ({ app: [] as Run[], floor: [] as Run[], stack: [] as Run[] }));
  for (let run = 0; run < RUNS; run++)
    for (const [i, node] of nodes.entries()) {
      runs[i]!.app.push(await coldStart(node.path, c.app, await c.event(), c.env));
      runs[i]!.floor.push(await coldStart(node.path, c.floor, await c.event(), c.env));
      if (c.stack) runs[i]!.stack.push(await coldStart(node.path, c.stack, await c.event(), c.env));
    }
  return nodes.map((node, i) => figures(name, node, runs[i]!.app, runs[i]!.floor, runs[i]!.stack));
}

export default async function coldStartBench() {
  const schema = 'bench_cold';
  // Lambda's runtime first, Node 24 and 22 beside it, then this process's Node when it is another
  // major version.
  const lambdaMajor = Number(/^nodejs(\d+)\.x$/.exec(functionDefaults(schema).runtime)![1]);
  const nodes = [lambdaNode(lambdaMajor), registryNode(24), registryNode(22), ownNode()].filter(
    (n, i, all) => all.findIndex((m) => m.version === n.version) === i,
  );
  console.log(`fresh processes run Node ${nodes.map((n) => n.version).join(' and ')}`);
  const { server, database, stop } = await benchDatabase(schema, 2);
  const bundles = mkdtempSync(join(tmpdir(), 'gl-cold-bundles-'));
  const relay = await startWsRelay();
  try {
    const events = new EventStore(database);
    const { key, summary } = await new ApiKeyStore(database, events).create({
      name: 'cold',
      rateLimit: 1_000_000,
    });
    const generations = new GenerationStore(database, events);
    const env = { DATABASE_URL: server.url, DB_SCHEMA: schema, CURSOR_SECRET: 'c'.repeat(40) };
    const dir = bundles;
    const bare = await bundle('bench/support/bare-handler.ts', join(dir, 'bare'));
    const stack = await bundle('bench/support/stack-handler.ts', join(dir, 'stack'));
    const bareNeon = await bundle('bench/support/bare-neon-handler.ts', join(dir, 'bare-neon'));
    const neonEnv = {
      ...env,
      DB_DRIVER: 'neon',
      DB_NEON_WS_PROXY: `127.0.0.1:${relay.port}/v1?address={host}:{port}`,
    };
    const api = await bundle('functions/api.ts', join(dir, 'api'));
    const worker = await bundle('functions/worker.ts', join(dir, 'worker'));
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
    const cases: Record<string, Case> = {
      apiPost: {
        app: api,
        floor: bare,
        stack,
        env,
        event: async () => apiEvent('POST', '/generations', true),
      },
      apiGet: {
        app: api,
        floor: bare,
        env,
        event: async () => apiEvent('GET', `/generations/${existing}`, false),
      },
      // The same API bundle on the deployed driver, beside a floor on that driver.
      apiPostNeon: {
        app: api,
        floor: bareNeon,
        stack,
        env: neonEnv,
        event: async () => apiEvent('POST', '/generations', true),
      },
      workerOneRecord: {
        app: worker,
        floor: bare,
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
    const perNode: Record<string, unknown>[] = nodes.map((node) => ({ version: node.version }));
    for (const [name, c] of Object.entries(cases))
      for (const [i, f] of (await measure(name, nodes, c)).entries()) perNode[i]![name] = f;
    return {
      runs: RUNS,
      ...Object.fromEntries(
        nodes.map((node, i) => [`node${node.version.slice(1).split('.')[0]}`, perNode[i]]),
      ),
    };
  } finally {
    rmSync(bundles, { recursive: true, force: true });
    await relay.close();
    await stop();
  }
}
