// `npm start` killed for real (kill -9, and a clean SIGTERM) while it processes accepted work, then
// started again on the same DATA_DIR: every generation completes once, without anyone acting; a
// webhook the killed process was sending arrives again under the same webhook-id. The process runs
// main.ts bundled once for the file (test/support/local-bundle.ts): six starts, each without tsx.
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { openDatabase } from '@genledger/db/connect';
import { migrate } from '@genledger/db/migrator';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleLocalMain } from '../support/local-bundle.ts';
import { pgliteDataDir } from '../support/pglite-data-dir.ts';
import { freePort } from '../support/postgres-server.ts';
import { type Received, startReceiver } from '../support/webhook-receiver.ts';

const ADMIN = `crash-admin-key-${'c'.repeat(32)}`;
const ROOT = join(import.meta.dirname, '..', '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A generator backend that takes `delayMs` per job and records every (generation, attempt) it was asked for. */
function slowBackend() {
  const calls: { generationId: string; attempt: number }[] = [];
  const state = { delayMs: 1000 };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const job = JSON.parse(body) as { generationId: string; attempt: number };
      calls.push({ generationId: job.generationId, attempt: job.attempt });
      setTimeout(() => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'application/json' });
        // A PNG's 8-byte signature as a data URL: the output contract's smallest valid answer.
        res.end(JSON.stringify({ output: 'data:image/png;base64,iVBORw0KGgo=' }));
      }, state.delayMs);
    });
    res.on('error', () => {});
  });
  return { server, calls, state };
}

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function startLocal(env: Record<string, string>): Promise<Started> {
  const port = await freePort();
  const child = spawn(process.execPath, [localMain!.file], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > until) throw new Error(`npm start did not answer /health:\n${output}`);
    await sleep(50);
  }
  return { child, url, output: () => output, exited };
}

/** The key requests are made with: a non-admin key of its own with a rate limit out of the way. */
let key = ADMIN;
let localMain: Awaited<ReturnType<typeof bundleLocalMain>> | undefined;
const api = async <T>(
  url: string,
  path: string,
  init: RequestInit & { admin?: boolean } = {},
): Promise<T> => {
  const request = () =>
    fetch(`${url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${init.admin ? ADMIN : key}`, 'content-type': 'application/json' },
    });
  // A kept-alive socket the server closed just then resets once; a read is safe to repeat.
  const res = await request().catch((e: unknown) => {
    if (init.method && init.method !== 'GET') throw e;
    return request();
  });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
};

interface Generation {
  id: string;
  status: string;
}

async function submit(url: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const g = await api<Generation>(url, '/generations', {
      method: 'POST',
      body: JSON.stringify({ prompt: `crash test ${i}` }),
    });
    ids.push(g.id);
  }
  return ids;
}

async function useOwnKey(url: string) {
  const created = await api<{ key: string }>(url, '/api-keys', {
    method: 'POST',
    admin: true,
    body: JSON.stringify({ name: 'crash test', rateLimit: 1_000_000 }),
  });
  key = created.key;
}

async function statuses(url: string, ids: string[]) {
  const page = await api<{ items: Generation[] }>(url, '/generations?limit=100');
  const out = new Map<string, string>();
  for (const g of page.items) if (ids.includes(g.id)) out.set(g.id, g.status);
  expect(out.size).toBe(ids.length);
  return out;
}

/** Every generation completed exactly once: one completed run, no run left open, one GenerationCompleted. */
async function expectCompletedOnce(
  url: string,
  ids: string[],
  calls: { generationId: string; attempt: number }[],
) {
  for (const id of ids) {
    const runs = await api<{ items: { attempt: number; status: string }[] }>(url, `/generations/${id}/runs`);
    const attempts = runs.items.map((r) => r.attempt);
    expect(new Set(attempts).size, `runs of ${id}`).toBe(attempts.length);
    expect(
      runs.items.filter((r) => r.status === 'completed'),
      `completed runs of ${id}`,
    ).toHaveLength(1);
    expect(
      runs.items.filter((r) => r.status === 'running'),
      `open runs of ${id}`,
    ).toHaveLength(0);
    const events = await api<{ items: { type: string }[] }>(url, `/generations/${id}/events`);
    expect(
      events.items.filter((e) => e.type === 'GenerationCompleted'),
      `completions of ${id}`,
    ).toHaveLength(1);
  }
  // No attempt was run twice by the backend (a duplicate delivery never re-ran a live attempt).
  const keys = calls.map((c) => `${c.generationId}:${c.attempt}`);
  expect(new Set(keys).size).toBe(keys.length);
  const feed = await api<{ items: { type: string }[] }>(url, '/events?limit=1000', { admin: true });
  expect(feed.items.filter((e) => e.type === 'GenerationCompleted')).toHaveLength(ids.length);
}

/** A failure with what the server printed (its log lines are what explains it). */
const explain = (s: Started) => (e: unknown) => {
  throw new Error(
    `${e instanceof Error ? e.message : String(e)}\n--- npm start said:\n${s.output().slice(-4000)}`,
    {
      cause: e,
    },
  );
};

async function waitAllCompleted(url: string, ids: string[], withinMs: number) {
  const until = Date.now() + withinMs;
  for (;;) {
    const s = await statuses(url, ids);
    const open = [...s.values()].filter((v) => v !== 'completed');
    if (open.length === 0) return;
    if (Date.now() > until)
      throw new Error(
        `${open.length} of ${ids.length} not completed within ${withinMs} ms: ${open.join(',')}`,
      );
    await sleep(100);
  }
}

describe('npm start after a crash or a stop', () => {
  const backend = slowBackend();
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  let generatorUrl: string;

  // One embedded database created and migrated here, copied for each run: initdb once, not per test.
  const template = mkdtempSync(join(tmpdir(), 'gl-crash-template-'));
  const freshDataDir = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    cpSync(template, dir, { recursive: true });
    dirs.push(dir);
    return dir;
  };

  beforeAll(async () => {
    dirs.push(template);
    // esbuild bundles in its own process while the template is migrated here.
    const bundling = bundleLocalMain().then((b) => {
      localMain = b;
    });
    try {
      // The data directory the run's global setup initialised (initdb is most of a PGlite's
      // start), written out under DATA_DIR where `npm start` keeps it, then migrated.
      const pglite = await PGlite.create(join(template, 'pglite'), {
        loadDataDir: await pgliteDataDir(),
      });
      try {
        const database = await openDatabase({ dataDir: template, pglite }, {});
        await migrate(database);
        await database.close();
      } finally {
        await pglite.close();
      }
    } finally {
      await bundling;
    }
    await new Promise<void>((r) => backend.server.listen(0, '127.0.0.1', () => r()));
    generatorUrl = `http://127.0.0.1:${(backend.server.address() as AddressInfo).port}/generate`;
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    backend.server.closeAllConnections();
    await new Promise((r) => backend.server.close(r));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    localMain?.remove();
  });

  const envFor = (dataDir: string, more: Record<string, string> = {}) => ({
    DATA_DIR: dataDir,
    ADMIN_API_KEY: ADMIN,
    GENERATOR_URL: generatorUrl,
    LOG_LEVEL: 'warn',
    ...more,
  });
  // 10 s instead of the default 30 s: what the killed process had received comes back after it.
  // Still over six times a batch's time in the backend (1.5 s), as the deployed queue's is over
  // the worker's timeout, so no message comes back while its batch is being worked on.
  const VISIBILITY_S = 10;

  it('kill -9 mid-processing: after a restart every accepted generation completes once, what the killed process held once its visibility timeout ends', async () => {
    const dataDir = freshDataDir('gl-crash-');
    backend.calls.length = 0;
    backend.state.delayMs = 1500;
    const first = await startLocal(envFor(dataDir, { QUEUE_VISIBILITY_TIMEOUT: String(VISIBILITY_S) }));
    children.push(first.child);
    await useOwnKey(first.url);
    const ids = await submit(first.url, 30);
    // Kill while a batch is in the backend's hands: some done, some running, some not yet received.
    const until = Date.now() + 60_000;
    while (backend.calls.length < 12 && Date.now() < until) await sleep(50);
    const before = await statuses(first.url, ids);
    first.child.kill('SIGKILL');
    await first.exited;
    const running = [...before.values()].filter((s) => s === 'running').length;
    expect(running).toBeGreaterThan(0);
    expect([...before.values()].filter((s) => s === 'completed').length).toBeLessThan(30);

    backend.state.delayMs = 200;
    const second = await startLocal(envFor(dataDir, { QUEUE_VISIBILITY_TIMEOUT: String(VISIBILITY_S) }));
    children.push(second.child);
    await waitAllCompleted(second.url, ids, 60_000).catch(explain(second));
    await expectCompletedOnce(second.url, ids, backend.calls).catch(explain(second));
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 240_000);

  it('a clean SIGTERM hands unfinished work back: the next start completes all of it once, at once', async () => {
    const dataDir = freshDataDir('gl-stop-');
    backend.calls.length = 0;
    // Far longer than the 1 s shutdown grace set here (the default 5 s would only make the stop
    // take longer): the batch in hand cannot finish before the process exits, even when a loaded
    // machine delays the signal's handling by seconds. The delay itself costs nothing: the
    // process is gone before the backend answers.
    backend.state.delayMs = 8000;
    const first = await startLocal(envFor(dataDir, { SHUTDOWN_GRACE_S: '1' }));
    children.push(first.child);
    await useOwnKey(first.url);
    const ids = await submit(first.url, 30);
    // Stopped as soon as a batch is in the backend's hands (waiting for ten calls waited out that
    // first batch's 8 s, since the next batch is received only after it).
    const until = Date.now() + 60_000;
    while (backend.calls.length === 0 && Date.now() < until) await sleep(20);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('SIGTERM: shutting down');

    backend.state.delayMs = 200;
    const second = await startLocal(envFor(dataDir));
    children.push(second.child);
    // Handed back, not waiting out the 30 s visibility timeout.
    await waitAllCompleted(second.url, ids, 20_000).catch(explain(second));
    await expectCompletedOnce(second.url, ids, backend.calls).catch(explain(second));
    // The attempts that were cut off are closed, not left running.
    const taken = backend.calls.filter((c) => c.attempt === 2).length;
    expect(taken).toBeGreaterThan(0);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 240_000);

  it('kill -9 while a webhook is in flight: after a restart it arrives again, same webhook-id, signed', async () => {
    const dataDir = freshDataDir('gl-hook-kill-');
    backend.calls.length = 0;
    backend.state.delayMs = 50;
    const receiver = await startReceiver();
    // The first delivery is never answered: the process is killed while it waits on it.
    let held: string | undefined;
    receiver.answerWith((r) => {
      if (held !== undefined) return 200;
      held = String(r.headers['webhook-id']);
      return 'hold';
    });
    // 2 s: the held delivery is received again soon after the restart. The send's timeout is the
    // longest there is, so the first process cannot have given up on the held request before the kill.
    const env = envFor(dataDir, { QUEUE_VISIBILITY_TIMEOUT: '2', WEBHOOK_TIMEOUT_MS: '30000' });
    try {
      const first = await startLocal(env);
      children.push(first.child);
      await useOwnKey(first.url);
      const { key: secret } = await api<{ key: string }>(first.url, '/webhooks/default/secret');
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const g = await api<Generation>(first.url, '/generations', {
          method: 'POST',
          body: JSON.stringify({ prompt: `webhook kill ${i}`, webhook: receiver.url() }),
        });
        ids.push(g.id);
      }
      await receiver.waitFor(() => held !== undefined, 60_000).catch(explain(first));
      first.child.kill('SIGKILL');
      await first.exited;
      // A visibility shorter than the send's timeout is what this test wants, and start-up said so.
      expect(first.output()).toContain("warning: the webhook queue's visibility timeout");
      const beforeRestart = receiver.received.length;

      const second = await startLocal(env);
      children.push(second.child);
      const completions = (all: Received[]) =>
        all.filter((r) => r.json.type === 'generation.completed' && ids.includes(r.json.data.id));
      await receiver
        .waitFor(
          (all) =>
            all.slice(beforeRestart).some((r) => r.headers['webhook-id'] === held) &&
            new Set(completions(all).map((r) => r.json.data.id)).size === ids.length,
          60_000,
        )
        .catch(explain(second));

      // Every request was signed with the key's default secret (a missing signature throws too).
      const webhook = new Webhook(secret);
      for (const r of receiver.received)
        expect(() => webhook.verify(r.body, r.headers as Record<string, string>)).not.toThrow();
      // The held delivery was the completion of one of them; each completion kept one id throughout.
      const heldRequests = receiver.received.filter((r) => r.headers['webhook-id'] === held);
      expect(heldRequests.length).toBeGreaterThanOrEqual(2);
      expect(new Set(heldRequests.map((r) => `${r.json.type} ${r.json.data.id}`)).size).toBe(1);
      expect(ids).toContain(heldRequests[0]!.json.data.id);
      for (const id of ids) {
        const hooks = completions(receiver.received).filter((r) => r.json.data.id === id);
        expect(new Set(hooks.map((r) => r.headers['webhook-id'])).size, `webhook-ids of ${id}`).toBe(1);
      }
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);
    } finally {
      await receiver.close();
    }
  }, 240_000);
});
