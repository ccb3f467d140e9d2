import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalServer } from '@genledger/local/server';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';
import { bundleLocalMain } from '../support/local-bundle.ts';
import { freePort } from '../support/postgres-server.ts';

const dbs = useDatabases();

// A test that fails or times out must not leave a server running after vitest exits.
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
});

// The first start is `npm start` as the README gives it (tsx over the sources); the others run
// main.ts bundled once for the file (test/support/local-bundle.ts): the same code without tsx's
// transforms of every source file in each process (four at once in the bad-configuration test).
let bundle: Awaited<ReturnType<typeof bundleLocalMain>> | undefined;
beforeAll(async () => {
  bundle = await bundleLocalMain();
});
afterAll(() => bundle?.remove());

function runMain(env: Record<string, string>, until?: RegExp, via: 'tsx' | 'bundle' = 'bundle') {
  const args = via === 'tsx' ? ['--import', 'tsx', 'packages/local/src/main.ts'] : [bundle!.file];
  const child = spawn(process.execPath, args, {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  const seen = new Promise<void>((resolve) => {
    child.stdout.on('data', (d) => {
      out += String(d);
      if (until?.test(out)) resolve();
    });
  });
  child.stderr.on('data', (d) => {
    err += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, seen, exited, output: () => ({ out, err }) };
}

describe('npm start (packages/local/src/main.ts)', () => {
  it('starts on PGlite under DATA_DIR, prints URL, database and a first-start admin key, stops cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gl-local-'));
    try {
      const port = await freePort();
      const first = runMain({ DATA_DIR: dir, PORT: String(port), LOG_LEVEL: 'silent' }, /try: curl/, 'tsx');
      await first.seen;
      const { out } = first.output();
      expect(out).toContain(`http://127.0.0.1:${port}`);
      expect(out).toContain('embedded PGlite');
      const key = /admin API key \(shown once, store it now\): (gl_\S+)/.exec(out)?.[1];
      expect(key).toBeDefined();
      const res = await fetch(`http://127.0.0.1:${port}/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: '{"prompt":"local"}',
      });
      expect(res.status).toBe(202);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);

      // Second start: same data, no new key printed, the old key still works.
      const second = runMain({ DATA_DIR: dir, PORT: String(port), LOG_LEVEL: 'silent' }, /try: curl/);
      await second.seen;
      expect(second.output().out).not.toContain('admin API key');
      const list = await fetch(`http://127.0.0.1:${port}/generations`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(((await list.json()) as { items: unknown[] }).items).toHaveLength(1);
      second.child.kill('SIGINT');
      expect(await second.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('stops on bad configuration with one line naming the variable', async () => {
    // Four processes at once: each spends its time loading the code, not refusing.
    const cases = [
      [{ PORT: 'eighty' }, 'PORT'],
      [{ ADMIN_API_KEY: 'short' }, 'ADMIN_API_KEY'],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
      [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    ] as const;
    const runs = cases.map(([env]) => runMain({ DATA_DIR: 'memory://', ...env }));
    for (const [i, run] of runs.entries()) {
      expect(await run.exited).toBe(1);
      const lines = run.output().err.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(cases[i]![1]);
    }
  });
});

describe('startLocalServer', () => {
  it('ensures ADMIN_API_KEY idempotently and runs against a real Postgres (DATABASE_URL + DB_SCHEMA)', async () => {
    const adminKey = `an-operator-chosen-admin-key-${'d'.repeat(20)}`;
    const env = {
      DATABASE_URL: dbs.server().url,
      DB_SCHEMA: 'local_pg',
      ADMIN_API_KEY: adminKey,
      LOG_LEVEL: 'silent',
    };
    const a = await startLocalServer({ env, port: 0 });
    expect(a.adminKey).toMatchObject({ created: true, usable: true });
    expect(a.database.target).toContain('127.0.0.1');
    await a.close();
    const b = await startLocalServer({ env, port: 0 });
    expect(b.adminKey).toMatchObject({ created: false, usable: true });
    const keys = await fetch(`${b.url}/api-keys`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(((await keys.json()) as { items: unknown[] }).items).toHaveLength(1);
    await b.close();
  });

  it('answers 503 with Retry-After on every gated route while the schema is behind the code; /health says why', async () => {
    const database = await dbs.open('postgres');
    const server = await startLocalServer({
      database,
      port: 0,
      env: { LOG_LEVEL: 'silent', ADMIN_API_KEY: `gate-admin-key-${'e'.repeat(30)}` },
      // Probed again after 50 ms instead of 5 s (healthy) and 1 s (not): the test waits for the
      // gate to follow the schema, not for the default cache to expire.
      healthTtlMs: { healthy: 50, unhealthy: 50 },
    });
    /** The first answer with `status`, fetched until it comes (the cached result expires meanwhile). */
    const eventually = async (path: string, status: number, init: RequestInit = {}) => {
      const until = Date.now() + 10_000;
      for (;;) {
        const res = await fetch(`${server.url}${path}`, init);
        if (res.status === status || Date.now() > until) return res;
        await res.arrayBuffer();
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      // A deploy in progress: the code expects a newer migration than the schema has.
      await database.db.execute(
        sql.raw(`update "${database.schema}"."__drizzle_migrations" set created_at = created_at - 1`),
      );
      const health = await eventually('/health', 503);
      expect(health.status).toBe(503);
      expect(((await health.json()) as { status: string }).status).toBe('Unhealthy');
      expect((await fetch(`${server.url}/openapi.json`)).status).toBe(200);
      for (const path of ['/generations', '/api-keys', '/settings', '/events']) {
        const res = await fetch(`${server.url}${path}`, {
          headers: { authorization: `Bearer gate-admin-key-${'e'.repeat(30)}` },
        });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('5');
        expect(res.headers.get('content-type')).toContain('application/problem+json');
        expect(((await res.json()) as { detail: string }).detail).toContain('behind the code');
      }
      await database.db.execute(
        sql.raw(`update "${database.schema}"."__drizzle_migrations" set created_at = created_at + 1`),
      );
      expect(
        (
          await eventually('/generations', 200, {
            headers: { authorization: `Bearer gate-admin-key-${'e'.repeat(30)}` },
          })
        ).status,
      ).toBe(200);
    } finally {
      await server.close();
    }
  });
});
