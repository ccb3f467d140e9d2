// A local server whose backend is Cog (never called: a callback only reads the prediction it is
// sent), a fake serving the outputs a prediction lists, and the steps the worker takes before a
// callback arrives: what test/api/callback*.test.ts post callbacks against, on PostgreSQL.
import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { GenerationLifecycle } from '@genledger/db/generation-lifecycle';
import { type LocalServer, startLocalServer } from '@genledger/local/server';
import { callbackTokensOf } from '@genledger/wiring/callback-tokens';
import { configuredOutputs } from '@genledger/wiring/outputs';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect } from 'vitest';
import { rowsOf } from '../../packages/db/src/executor.ts';
import { startHttpFake } from './backends/http-fake.ts';
import type { useDatabases } from './databases.ts';
import { countRoundTrips } from './round-trips.ts';

export const CURSOR_SECRET = 'c'.repeat(40);
export const tokens = callbackTokensOf(CURSOR_SECRET);
export const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
/** The key keepOutputs gives the `index`-th PNG an attempt kept. */
export const pngKey = (id: string, attempt: number, png: Uint8Array, index = 0) =>
  `generations/${id}/${attempt}/${index}-${sha(png).slice(0, 32)}.png`;

/** Starts it all before the suite's tests (inside a `describe`), and stops it after. */
export function useCallbackServer(dbs: ReturnType<typeof useDatabases>) {
  const t = {} as {
    database: Database;
    server: LocalServer;
    trips: ReturnType<typeof countRoundTrips>;
    lifecycle: GenerationLifecycle;
    store: ReturnType<typeof configuredOutputs>['store'];
    dataDir: string;
    /**
     * The backend's output URLs: a Cog prediction's `output` may list URLs (Cog's HTTP API docs,
     * "Webhooks" and "Predictions"), fetched with a plain GET that answers the file; every fetch recorded.
     */
    outputsFake: Awaited<ReturnType<typeof startHttpFake>>;
  };
  const served = new Map<string, Uint8Array>();

  beforeAll(async () => {
    t.database = await dbs.open('postgres');
    t.dataDir = mkdtempSync(join(tmpdir(), 'gl-callbacks-'));
    const env = {
      LOG_LEVEL: 'silent',
      CURSOR_SECRET,
      DATA_DIR: t.dataDir,
      GENERATOR_URL: 'cog+http://127.0.0.1:9/',
      QUEUE_URL: 'http://127.0.0.1:9/000000000000/callbacks',
    };
    t.server = await startLocalServer({
      database: t.database,
      port: 0,
      queue: { send: async () => ({ failed: [] }) },
      env,
    });
    t.store = configuredOutputs(env).store;
    t.lifecycle = new GenerationLifecycle(t.database, new EventStore(t.database));
    t.outputsFake = await startHttpFake({
      'GET /out/': (req, res) => {
        const body = served.get(req.path.slice('/out/'.length));
        res.writeHead(body ? 200 : 404, { 'content-type': 'image/png' });
        res.end(body);
      },
    });
    await fetch(`${t.server.url}/health`);
    t.trips = countRoundTrips();
  });
  afterAll(async () => {
    t.trips?.restore();
    await t.outputsFake?.close();
    await t.server?.close();
  });

  /** A generation whose attempt `attempt` runs at the backend as job `{id}-{attempt}`, as the worker leaves it. */
  async function awaiting(id: string, attempt: number, token: { token: string; hash: string }) {
    const started = await t.lifecycle.start({
      generationId: id,
      messageId: `${id}-${attempt}`,
      receiveCount: attempt,
      staleAfterMs: 3_600_000,
    });
    expect(started.outcome).toBe('started');
    await t.lifecycle.awaitBackend({
      generationId: id,
      attempt,
      callbackTokenHash: token.hash,
      deadlineAt: new Date(Date.now() + 3_600_000),
      receiptHandle: null,
    });
    await t.lifecycle.recordSubmission({ generationId: id, attempt, backendId: `${id}-${attempt}` });
    return token.token;
  }

  async function newGeneration() {
    const [row] = await rowsOf<{ id: string }>(
      t.database.db.execute(
        sql.raw(
          `insert into "${t.database.schema}".generations (id, prompt, model) values (gen_random_uuid(), 'callback', 'sdxl') returning id`,
        ),
      ),
    );
    return row!.id;
  }

  /** Bytes the output fake serves at `/out/{name}`. */
  const serve = (name: string, body: Uint8Array) => {
    served.set(name, body);
    return `${t.outputsFake.url}/out/${name}`;
  };

  /** Cog's prediction, its output served at a URL of the output fake. */
  const succeeded = (jobId: string, name: string, png: Uint8Array) => ({
    id: jobId,
    status: 'succeeded',
    output: [serve(name, png)],
    metrics: { predict_time: 1.5 },
  });

  const post = (token: string, body: unknown) =>
    fetch(`${t.server.url}/callbacks/${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  const generation = async (id: string) => {
    const [row] = await rowsOf<{
      status: string;
      outputs: { key: string; sha256: string }[] | null;
      prompt_id: string | null;
      duration_ms: number | null;
      attempts: number;
    }>(
      t.database.db.execute(
        sql.raw(
          `select status, outputs, prompt_id, duration_ms, attempts from "${t.database.schema}".generations where id = '${id}'`,
        ),
      ),
    );
    return row!;
  };
  const runOf = async (id: string) => {
    const [run] = await rowsOf<Record<string, unknown>>(
      t.database.db.execute(
        sql.raw(
          `select status, duration_ms, error_type, error_message, backend_metrics, reported_at from "${t.database.schema}".generation_runs where generation_id = '${id}'`,
        ),
      ),
    );
    return run!;
  };
  const streamOf = (id: string) => new EventStore(t.database).readStream(`generation-${id}`);
  const eventTypes = async (id: string) => (await streamOf(id)).map((e) => e.type);
  const fetchesOf = (name: string) => t.outputsFake.requests.filter((r) => r.path === `/out/${name}`).length;

  return {
    t,
    awaiting,
    newGeneration,
    serve,
    succeeded,
    post,
    generation,
    runOf,
    streamOf,
    eventTypes,
    fetchesOf,
  };
}
