import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SimOptions, type Simulation, startSimulation } from '@genledger/sim/simulation';

/** One simulation per test file, its data in a temporary DATA_DIR; logs kept for assertions. */
export async function startTestSimulation(env: Record<string, string> = {}, options: SimOptions = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'genledger-sim-test-'));
  // Postgres and the function processes run as other users under root: they must reach it.
  chmodSync(dataDir, 0o755);
  const logs: { fn: string; line: string }[] = [];
  const sim: Simulation = await startSimulation({
    root: process.cwd(),
    // SIM_NODE passes through: `SIM_NODE=<a Node 22> npm test` runs these on Lambda's Node.
    env: {
      PORT: '0',
      DATA_DIR: dataDir,
      ...(process.env.SIM_NODE ? { SIM_NODE: process.env.SIM_NODE } : {}),
      // The sim files share bundles: the second one to start copies what the first one built.
      SIM_BUILD_CACHE: join(tmpdir(), 'genledger-sim-builds'),
      // A batch that is not full waits 1 s, not the worker's 5 s: every generation passes it, and
      // the windowed receive still runs.
      SIM_BATCH_WINDOW_S: '1',
      ...env,
    },
    log: (fn, line) => logs.push({ fn, line }),
    ...options,
  });
  // The tests' own admin key, with a rate limit out of the way: polling with the sim's admin key
  // (100 requests a minute) met 429s that outlasted a wait on a loaded machine.
  const created = await fetch(`${sim.url}/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${sim.adminApiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'sim tests', isAdmin: true, rateLimit: 1_000_000 }),
  });
  if (created.status !== 201) throw new Error(`POST /api-keys: ${created.status} ${await created.text()}`);
  const key = ((await created.json()) as { key: string }).key;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sim.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  /** Polls until `check` returns a value (not undefined), or fails after `timeoutMs`. */
  const until = async <T>(
    what: string,
    check: () => Promise<T | undefined>,
    timeoutMs = 40_000,
  ): Promise<T> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = await check();
      if (v !== undefined) return v;
      if (Date.now() > end) {
        const tail = logs
          .slice(-15)
          .map((l) => `[${l.fn}] ${l.line}`)
          .join('\n');
        throw new Error(`timed out waiting for ${what}\n${tail}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const generationStatus = (id: string, status: string) =>
    until(`generation ${id} to be ${status}`, async () => {
      const g = await call('GET', `/generations/${id}`);
      return g.body?.status === status ? g.body : undefined;
    });
  return {
    sim,
    logs,
    call,
    until,
    generationStatus,
    dataDir,
    stop: async () => {
      await sim.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
