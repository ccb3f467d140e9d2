// The API process's CPU per request against a bare handler's, the target (≤ 1.6×): a
// fixed number of requests at a fixed concurrency (autocannon, `amount`), CPU time of the server
// process (user + system, `process.cpuUsage`) before and after, for `POST /generations`,
// `GET /generations/:id` and an asynchronous backend's callback (`POST /callbacks/{token}`, a Cog
// prediction that succeeded with one small PNG as a data URL) through the app and through a bare
// node:http handler doing the one statement, in one process on the same PostgreSQL server
// (support/cpu-server.ts). The callback's floor is one UPDATE (the token's run marked completed):
// a callback is a write, so a SELECT by id would understate it. Every callback of a round goes to
// an attempt of its own, made running and awaiting its backend before the round (not counted). The two sides
// alternate (A/B/A/B); the figure is the median of the rounds. CPU time is what a Lambda is billed
// and what bounds throughput per core; unlike throughput, waiting on the shared cores costs none.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { GenerationLifecycle } from '@genledger/db/generation-lifecycle';
import { callbackTokensOf } from '@genledger/wiring/callback-tokens';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../packages/db/src/executor.ts';
import { pngDataUrl } from '../test/support/backends/http-fake.ts';
import { benchDatabase } from './support/bench-database.ts';

const REQUESTS = Number(process.env.BENCH_CPU_REQUESTS ?? 2000);
const ROUNDS = Number(process.env.BENCH_CPU_ROUNDS ?? 3);
/**
 * Requests the app serves before its rounds are counted. Its CPU per request keeps falling for about
 * 10,000 requests (V8 optimising a larger body of code, the young generation growing to its
 * allocation rate) where the bare handler's is flat after 2,000: a warm-up of one round would
 * measure the app mid-way.
 */
const WARMUP = Number(process.env.BENCH_CPU_WARMUP ?? 10_000);
/** BENCH_CPU_PROFILE=<dir>: the server process writes a V8 CPU profile there when it ends. */
const PROFILE = process.env.BENCH_CPU_PROFILE
  ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROFILE]
  : [];
const CONNECTIONS = 8;
/** Signed with support/cpu-server.ts's cursor secret: v2 tokens, as the worker mints them. */
const callbackTokens = callbackTokensOf('c'.repeat(40));
const BODY = JSON.stringify({ prompt: 'a lighthouse at dusk, oil painting', model: 'sdxl', steps: 30 });

/** What autocannon is given for one side of a case. */
interface Target {
  url: string;
  method: string;
  headers?: Record<string, string>;
  body?: string;
  requests?: { setupRequest: (r: object) => object }[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const CALLBACK_BODY = JSON.stringify({
  status: 'succeeded',
  output: [pngDataUrl()],
  metrics: { predict_time: 2.5 },
});

/** `n` attempts running and awaiting a backend, as the worker leaves them; their callback tokens. */
async function awaitingAttempts(database: Database, n: number): Promise<string[]> {
  const lifecycle = new GenerationLifecycle(database, new EventStore(database));
  const ids = await rowsOf<{ id: string }>(
    database.db.execute(
      sql.raw(
        `insert into "${database.schema}".generations (id, prompt) select gen_random_uuid(), 'callback bench' from generate_series(1, ${n}) returning id`,
      ),
    ),
  );
  const tokens: string[] = [];
  const prepare = async (generationId: string) => {
    await lifecycle.start({
      generationId,
      messageId: generationId,
      receiveCount: 1,
      staleAfterMs: 3_600_000,
    });
    const { token, hash } = callbackTokens.mint(generationId, 1);
    await lifecycle.awaitBackend({
      generationId,
      attempt: 1,
      callbackTokenHash: hash,
      deadlineAt: new Date(Date.now() + 3_600_000),
      receiptHandle: null,
    });
    tokens.push(token);
  };
  for (let i = 0; i < ids.length; i += 8) await Promise.all(ids.slice(i, i + 8).map((r) => prepare(r.id)));
  return tokens;
}

/** Starts the server process; resolves with its URLs and a way to end it. */
async function startCpuServer(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    [...PROFILE, '--import', 'tsx', join(import.meta.dirname, 'support', 'cpu-server.ts')],
    {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const urls = await new Promise<{ app: string; bare: string; stack: string }>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line && out.includes('\n')) resolve(JSON.parse(line));
    });
    child.on('exit', (code) => reject(new Error(`cpu server exited with ${code}`)));
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      child.on('exit', () => resolve());
      child.stdin.end();
    });
  return { ...urls, stop };
}

export default async function requestCpuBench() {
  const schema = 'bench_cpu';
  const { server, database, stop } = await benchDatabase(schema, 8);
  const { key } = await new ApiKeyStore(database, new EventStore(database)).create({
    name: 'cpu',
    rateLimit: 1_000_000_000,
  });
  const cpu = await startCpuServer({ DATABASE_URL: server.url, DB_SCHEMA: schema });
  try {
    const serverCpuMs = async () => {
      const u = (await (await fetch(`${cpu.bare}/cpu`)).json()) as { user: number; system: number };
      return (u.user + u.system) / 1000;
    };
    const auth = { authorization: `Bearer ${key}` };
    const post = { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: BODY };
    const created = (await (await fetch(`${cpu.app}/generations`, post)).json()) as { id: string };
    const fixed = (o: Target) => async () => o;
    /** Each request of the round to an attempt of its own (autocannon's setupRequest picks the path). */
    const callbacks =
      (base: string) =>
      async (n: number): Promise<Target> => {
        const tokens = await awaitingAttempts(database, n);
        let next = 0;
        return {
          url: base,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: CALLBACK_BODY,
          requests: [
            { setupRequest: (r: object) => ({ ...r, path: `/callbacks/${tokens[next++ % tokens.length]}` }) },
          ],
        };
      };
    type Side = (n: number) => Promise<Target>;
    // `stack`: the stack's floor (support/stack-server.ts), the app's libraries doing the least.
    const cases: Record<string, { app: Side; bare: Side; stack?: Side }> = {
      post: {
        app: fixed({ url: `${cpu.app}/generations`, ...post }),
        bare: fixed({ url: `${cpu.bare}/generations`, ...post }),
        stack: fixed({ url: `${cpu.stack}/generations`, ...post }),
      },
      getById: {
        app: fixed({ url: `${cpu.app}/generations/${created.id}`, method: 'GET', headers: auth }),
        bare: fixed({ url: `${cpu.bare}/generations/${created.id}`, method: 'GET' }),
        stack: fixed({ url: `${cpu.stack}/generations/${created.id}`, method: 'GET' }),
      },
      callback: { app: callbacks(cpu.app), bare: callbacks(cpu.bare) },
    };
    /** Server CPU µs per request over REQUESTS requests; errors and non-2xx answers counted. */
    const measure = async (target: Side, n = REQUESTS) => {
      const opts = await target(n);
      const before = await serverCpuMs();
      const r = await autocannon({ ...opts, connections: CONNECTIONS, amount: n });
      const after = await serverCpuMs();
      return {
        micros: ((after - before) * 1000) / n,
        failed: r.errors + r.non2xx,
        rps: r.requests.average,
      };
    };
    const figures: Record<string, unknown> = {
      requests: REQUESTS,
      connections: CONNECTIONS,
      rounds: ROUNDS,
      warmup: WARMUP,
    };
    for (const [name, c] of Object.entries(cases)) {
      // Warm-up (JIT, the heap's sizing, pool connections, the health cache), not counted.
      await measure(c.app, WARMUP);
      if (c.stack) await measure(c.stack, WARMUP);
      await measure(c.bare);
      const app: Awaited<ReturnType<typeof measure>>[] = [];
      const bare: typeof app = [];
      const stack: typeof app = [];
      for (let round = 0; round < ROUNDS; round++) {
        app.push(await measure(c.app));
        if (c.stack) stack.push(await measure(c.stack));
        bare.push(await measure(c.bare));
      }
      const stackUs = stack.length ? median(stack.map((r) => r.micros)) : undefined;
      const appUs = median(app.map((r) => r.micros));
      const bareUs = median(bare.map((r) => r.micros));
      const f = {
        cpuMicrosPerRequest: Math.round(appUs),
        bareCpuMicrosPerRequest: Math.round(bareUs),
        ratio: Number((appUs / bareUs).toFixed(2)),
        failed: app.reduce((n, r) => n + r.failed, 0) + bare.reduce((n, r) => n + r.failed, 0),
        // Bounded by the two shared cores (the load generator and PostgreSQL run on them too).
        throughputRatio: Number((median(app.map((r) => r.rps)) / median(bare.map((r) => r.rps))).toFixed(2)),
        ...(stackUs === undefined
          ? {}
          : {
              stack: {
                cpuMicrosPerRequest: Math.round(stackUs),
                /** The stack's floor ÷ the bare handler: the least any app on these libraries can reach. */
                ratio: Number((stackUs / bareUs).toFixed(2)),
                /** The app ÷ the stack's floor: what genledger's own code adds. */
                appRatio: Number((appUs / stackUs).toFixed(2)),
                failed: stack.reduce((n, r) => n + r.failed, 0),
              },
            }),
      };
      figures[name] = f;
      const getById = figures.getById as typeof f | undefined;
      const beside =
        name === 'callback' && getById
          ? `; beside GET /generations/{id}: ${getById.cpuMicrosPerRequest} µs (${(appUs / getById.cpuMicrosPerRequest).toFixed(2)}×)`
          : '';
      console.log(
        `${name.padEnd(8)} server CPU ${f.cpuMicrosPerRequest} µs/request vs bare ${f.bareCpuMicrosPerRequest} µs → ratio ${f.ratio} (target ≤ 1.6); ${REQUESTS} requests × ${ROUNDS} rounds at ${CONNECTIONS} connections after ${WARMUP} to warm the app, ${f.failed} failed; throughput ratio ${f.throughputRatio} (bounded by the shared cores)${beside}`,
      );
      if (f.stack)
        console.log(
          `${''.padEnd(8)} the stack's floor (Hono on @hono/node-server, zod, drizzle; one route, no app) ${f.stack.cpuMicrosPerRequest} µs → ${f.stack.ratio} × bare; the app ${f.stack.appRatio} × the stack; ${f.stack.failed} failed`,
        );
    }
    return figures;
  } finally {
    await cpu.stop();
    await stop();
  }
}
