// The API process's CPU per request against a bare handler's, the target (≤ 1.6×): a
// fixed number of requests at a fixed concurrency (autocannon, `amount`), CPU time of the server
// process (user + system, `process.cpuUsage`) before and after, for `POST /generations` and
// `GET /generations/:id` through the app and through a bare node:http handler doing the one
// statement, in one process on the same PostgreSQL server (support/cpu-server.ts). The two sides
// alternate (A/B/A/B); the figure is the median of the rounds. CPU time is what a Lambda is billed
// and what bounds throughput per core; unlike throughput, waiting on the shared cores costs none.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import { EventStore } from '@genledger/db/event-store';
import autocannon from 'autocannon';
import { benchDatabase } from './support/bench-database.ts';

const REQUESTS = Number(process.env.BENCH_CPU_REQUESTS ?? 2000);
const ROUNDS = Number(process.env.BENCH_CPU_ROUNDS ?? 3);
/** BENCH_CPU_PROFILE=<dir>: the server process writes a V8 CPU profile there when it ends. */
const PROFILE = process.env.BENCH_CPU_PROFILE
  ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_CPU_PROFILE]
  : [];
const CONNECTIONS = 8;
const BODY = JSON.stringify({ prompt: 'a lighthouse at dusk, oil painting', model: 'sdxl', steps: 30 });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

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
  const urls = await new Promise<{ app: string; bare: string }>((resolve, reject) => {
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
  const { server, database, stop } = await benchDatabase(schema, 2);
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
    const cases = {
      post: {
        app: { url: `${cpu.app}/generations`, ...post },
        bare: { url: `${cpu.bare}/generations`, ...post },
      },
      getById: {
        app: { url: `${cpu.app}/generations/${created.id}`, method: 'GET', headers: auth },
        bare: { url: `${cpu.bare}/generations/${created.id}`, method: 'GET' },
      },
    };
    /** Server CPU µs per request over REQUESTS requests; errors and non-2xx answers counted. */
    const measure = async (opts: {
      url: string;
      method: string;
      headers?: Record<string, string>;
      body?: string;
    }) => {
      const before = await serverCpuMs();
      const r = await autocannon({ ...opts, connections: CONNECTIONS, amount: REQUESTS });
      const after = await serverCpuMs();
      return {
        micros: ((after - before) * 1000) / REQUESTS,
        failed: r.errors + r.non2xx,
        rps: r.requests.average,
      };
    };
    const figures: Record<string, unknown> = { requests: REQUESTS, connections: CONNECTIONS, rounds: ROUNDS };
    for (const [name, c] of Object.entries(cases)) {
      // Warm-up (JIT, pool connections, the health cache), not counted.
      await measure(c.app);
      await measure(c.bare);
      const app: Awaited<ReturnType<typeof measure>>[] = [];
      const bare: typeof app = [];
      for (let round = 0; round < ROUNDS; round++) {
        app.push(await measure(c.app));
        bare.push(await measure(c.bare));
      }
      const appUs = median(app.map((r) => r.micros));
      const bareUs = median(bare.map((r) => r.micros));
      const f = {
        cpuMicrosPerRequest: Math.round(appUs),
        bareCpuMicrosPerRequest: Math.round(bareUs),
        ratio: Number((appUs / bareUs).toFixed(2)),
        failed: app.reduce((n, r) => n + r.failed, 0) + bare.reduce((n, r) => n + r.failed, 0),
        // Bounded by the two shared cores (the load generator and PostgreSQL run on them too).
        throughputRatio: Number((median(app.map((r) => r.rps)) / median(bare.map((r) => r.rps))).toFixed(2)),
      };
      figures[name] = f;
      console.log(
        `${name.padEnd(8)} server CPU ${f.cpuMicrosPerRequest} µs/request vs bare ${f.bareCpuMicrosPerRequest} µs → ratio ${f.ratio} (target ≤ 1.6); ${REQUESTS} requests × ${ROUNDS} rounds at ${CONNECTIONS} connections, ${f.failed} failed; throughput ratio ${f.throughputRatio} (bounded by the shared cores)`,
      );
    }
    return figures;
  } finally {
    await cpu.stop();
    await stop();
  }
}
