// A backend's callback on a real server (docs/backends.md#callbacks): a success with a v2 token is
// one round trip (token check, completion and event in one statement; the output copy aside); a
// forged or tampered token is 404 before anything is read or fetched; a late or repeated callback
// never changes a completed generation's outputs; tokens minted before v2 still settle.
import { createHash, randomBytes } from 'node:crypto';
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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../packages/db/src/executor.ts';
import { startHttpFake } from '../support/backends/http-fake.ts';
import { useDatabases } from '../support/databases.ts';
import { pngBytes } from '../support/outputs.ts';
import { countRoundTrips } from '../support/round-trips.ts';

const dbs = useDatabases();
const CURSOR_SECRET = 'c'.repeat(40);
const tokens = callbackTokensOf(CURSOR_SECRET);
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

describe('backend callbacks on a real server', () => {
  let database: Database;
  let server: LocalServer;
  let trips: ReturnType<typeof countRoundTrips>;
  let lifecycle: GenerationLifecycle;
  let store: ReturnType<typeof configuredOutputs>['store'];
  /**
   * The backend's output URLs: a Cog prediction's `output` may list URLs (Cog's HTTP API docs,
   * "Webhooks" and "Predictions"), fetched with a plain GET that answers the file; every fetch recorded.
   */
  let outputsFake: Awaited<ReturnType<typeof startHttpFake>>;
  const served = new Map<string, Uint8Array>();

  beforeAll(async () => {
    database = await dbs.open('postgres');
    const env = {
      LOG_LEVEL: 'silent',
      CURSOR_SECRET,
      DATA_DIR: mkdtempSync(join(tmpdir(), 'gl-callbacks-')),
      // Never called: a callback only reads the prediction it is sent.
      GENERATOR_URL: 'cog+http://127.0.0.1:9/',
      QUEUE_URL: 'http://127.0.0.1:9/000000000000/callbacks',
    };
    server = await startLocalServer({
      database,
      port: 0,
      queue: { send: async () => ({ failed: [] }) },
      env,
    });
    store = configuredOutputs(env).store;
    lifecycle = new GenerationLifecycle(database, new EventStore(database));
    outputsFake = await startHttpFake({
      'GET /out/': (req, res) => {
        const body = served.get(req.path.slice('/out/'.length));
        res.writeHead(body ? 200 : 404, { 'content-type': 'image/png' });
        res.end(body);
      },
    });
    await fetch(`${server.url}/health`);
    trips = countRoundTrips();
  });
  afterAll(async () => {
    trips?.restore();
    await outputsFake?.close();
    await server?.close();
  });

  /** A generation whose attempt `attempt` runs at the backend as job `{id}-{attempt}`, as the worker leaves it. */
  async function awaiting(id: string, attempt: number, token: { token: string; hash: string }) {
    const started = await lifecycle.start({
      generationId: id,
      messageId: `${id}-${attempt}`,
      receiveCount: attempt,
      staleAfterMs: 3_600_000,
    });
    expect(started.outcome).toBe('started');
    await lifecycle.awaitBackend({
      generationId: id,
      attempt,
      callbackTokenHash: token.hash,
      deadlineAt: new Date(Date.now() + 3_600_000),
      receiptHandle: null,
    });
    await lifecycle.recordSubmission({ generationId: id, attempt, backendId: `${id}-${attempt}` });
    return token.token;
  }

  async function newGeneration() {
    const [row] = await rowsOf<{ id: string }>(
      database.db.execute(
        sql.raw(
          `insert into "${database.schema}".generations (id, prompt, model) values (gen_random_uuid(), 'callback', 'sdxl') returning id`,
        ),
      ),
    );
    return row!.id;
  }

  /** Cog's prediction, its output served at a URL of the output fake. */
  function succeeded(jobId: string, name: string, png: Uint8Array) {
    served.set(name, png);
    return {
      id: jobId,
      status: 'succeeded',
      output: [`${outputsFake.url}/out/${name}`],
      metrics: { predict_time: 1.5 },
    };
  }

  const post = (token: string, body: unknown) =>
    fetch(`${server.url}/callbacks/${token}`, {
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
      database.db.execute(
        sql.raw(
          `select status, outputs, prompt_id, duration_ms, attempts from "${database.schema}".generations where id = '${id}'`,
        ),
      ),
    );
    return row!;
  };
  const eventTypes = async (id: string) =>
    (await new EventStore(database).readStream(`generation-${id}`)).map((e) => e.type);
  const fetchesOf = (name: string) => outputsFake.requests.filter((r) => r.path === `/out/${name}`).length;

  it('a v2 success is one round trip: the generation, its run and GenerationCompleted as the two-step path wrote them', async () => {
    const id = await newGeneration();
    const token = await awaiting(id, 1, tokens.mint(id, 1));
    expect(token).toHaveLength(70);
    const png = pngBytes(1, 1, 1);
    trips.reset();
    const res = await post(token, succeeded(`${id}-1`, `${id}-a`, png));
    expect(await res.json()).toEqual({ settled: 'completed' });
    expect(trips.count).toBe(1);

    const g = await generation(id);
    const key = `generations/${id}/1/0.png`;
    expect(g).toMatchObject({
      status: 'completed',
      prompt_id: `${id}-1`,
      outputs: [{ key, sha256: sha(png) }],
    });
    expect((await store.read(key))?.body).toEqual(new Uint8Array(png));
    const [run] = await rowsOf<Record<string, unknown>>(
      database.db.execute(
        sql.raw(
          `select status, duration_ms, backend_metrics, reported_at from "${database.schema}".generation_runs where generation_id = '${id}'`,
        ),
      ),
    );
    expect(run).toMatchObject({
      status: 'completed',
      duration_ms: g.duration_ms,
      backend_metrics: { predictTimeS: 1.5 },
    });
    expect(run!.reported_at).not.toBeNull();
    const events = await new EventStore(database).readStream(`generation-${id}`);
    expect(events.map((e) => e.type)).toEqual(['GenerationStarted', 'GenerationCompleted']);
    expect(events[1]!.event).toEqual({
      type: 'GenerationCompleted',
      generationId: id,
      model: 'sdxl',
      attempt: 1,
      outputPath: key,
      thumbnailPath: null,
      durationMs: g.duration_ms,
      outputs: [{ key, contentType: 'image/png', bytes: png.length, sha256: sha(png) }],
    });
  });

  it('a forged token, or a genuine one with its attempt or generation changed, is 404 after one lookup by its hash: nothing fetched or written', async () => {
    const id = await newGeneration();
    const token = await awaiting(id, 1, tokens.mint(id, 1));
    const bytes = Buffer.from(token, 'base64url');
    const flipped = (at: number) => {
      const b = Buffer.from(bytes);
      b[at]! ^= 1;
      return b.toString('base64url');
    };
    const forged = callbackTokensOf('f'.repeat(40)).mint(id, 1).token;
    for (const [what, t] of [
      ['another key', forged],
      ['generation id', flipped(3)],
      ['attempt', flipped(19)],
      ['MAC', flipped(51)],
    ] as const) {
      trips.reset();
      const res = await post(t, succeeded(`${id}-1`, `${id}-forged`, pngBytes(9)));
      expect(res.status, what).toBe(404);
      // Its MAC does not verify under the API's key: only the lookup by hash can tell a token
      // minted before the key rotated from a forged one, and it finds no run for this one.
      expect(trips.count, what).toBe(1);
    }
    // A spelling no token has (its spare bits set) is turned away before anything is asked.
    trips.reset();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = token.slice(0, -1) + alphabet[alphabet.indexOf(token.at(-1)!) | 1];
    expect((await post(respelled, succeeded(`${id}-1`, `${id}-forged`, pngBytes(9)))).status).toBe(404);
    expect(trips.count).toBe(0);
    expect(fetchesOf(`${id}-forged`)).toBe(0);
    expect((await generation(id)).status).toBe('running');
    expect(await eventTypes(id)).toEqual(['GenerationStarted']);
  });

  it('a token minted under the previous key (CursorSecret rotated) settles by the lookup path: one more round trip', async () => {
    const id = await newGeneration();
    const previousKey = callbackTokensOf('p'.repeat(40));
    const token = await awaiting(id, 1, previousKey.mint(id, 1));
    const png = pngBytes(6, 6);
    trips.reset();
    const res = await post(token, succeeded(`${id}-1`, `${id}-rotated`, png));
    expect(await res.json()).toEqual({ settled: 'completed' });
    expect(trips.count).toBe(2);
    expect(await generation(id)).toMatchObject({
      status: 'completed',
      prompt_id: `${id}-1`,
      outputs: [{ sha256: sha(png) }],
    });
    expect(await eventTypes(id)).toEqual(['GenerationStarted', 'GenerationCompleted']);
  });

  it("a late callback of a superseded attempt is ignored: the completed generation's outputs stay, what it wrote is deleted", async () => {
    const id = await newGeneration();
    const first = await awaiting(id, 1, tokens.mint(id, 1));
    await lifecycle.failAttempt({
      generationId: id,
      attempt: 1,
      model: 'sdxl',
      error: { type: 'BackendTimeout', message: 'deadline' },
      durationMs: 1,
      retriable: true,
    });
    const second = await awaiting(id, 2, tokens.mint(id, 2));
    const kept = pngBytes(2, 2);
    expect(await (await post(second, succeeded(`${id}-2`, `${id}-2`, kept))).json()).toEqual({
      settled: 'completed',
    });
    const before = await generation(id);

    const late = await post(first, succeeded(`${id}-1`, `${id}-1`, pngBytes(1, 1)));
    expect(await late.json()).toEqual({ settled: 'ignored' });
    expect(fetchesOf(`${id}-1`)).toBe(1);
    expect(await generation(id)).toEqual(before);
    expect(before.outputs).toEqual([
      expect.objectContaining({ key: `generations/${id}/2/0.png`, sha256: sha(kept) }),
    ]);
    expect((await store.read(`generations/${id}/2/0.png`))?.body).toEqual(new Uint8Array(kept));
    expect(await store.read(`generations/${id}/1/0.png`)).toBeUndefined();
    expect((await eventTypes(id)).filter((t) => t === 'GenerationCompleted')).toHaveLength(1);
  });

  it('a repeated callback of the completed attempt is ignored and its outputs stay', async () => {
    const id = await newGeneration();
    const token = await awaiting(id, 1, tokens.mint(id, 1));
    const png = pngBytes(3, 3);
    const body = succeeded(`${id}-1`, `${id}-r`, png);
    expect(await (await post(token, body)).json()).toEqual({ settled: 'completed' });
    const before = await generation(id);
    expect(await (await post(token, body)).json()).toEqual({ settled: 'ignored' });
    expect(await generation(id)).toEqual(before);
    expect((await store.read(`generations/${id}/1/0.png`))?.body).toEqual(new Uint8Array(png));
    expect((await eventTypes(id)).filter((t) => t === 'GenerationCompleted')).toHaveLength(1);
  });

  it('a callback naming another job is refused as before, and what it wrote is deleted', async () => {
    const id = await newGeneration();
    const token = await awaiting(id, 1, tokens.mint(id, 1));
    const res = await post(token, succeeded('someone-else', `${id}-o`, pngBytes(4)));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      detail: 'the callback names another job than this attempt submitted',
    });
    expect((await generation(id)).status).toBe('running');
    expect(await store.read(`generations/${id}/1/0.png`)).toBeUndefined();
    expect(await eventTypes(id)).toEqual(['GenerationStarted']);
  });

  it('a token minted before v2 (random, looked up by its hash) still settles', async () => {
    const id = await newGeneration();
    const legacy = randomBytes(32).toString('base64url');
    const token = await awaiting(id, 1, { token: legacy, hash: sha(legacy) });
    const png = pngBytes(5);
    expect(await (await post(token, succeeded(`${id}-1`, `${id}-l`, png))).json()).toEqual({
      settled: 'completed',
    });
    expect(await generation(id)).toMatchObject({
      status: 'completed',
      outputs: [{ key: `generations/${id}/1/0.png`, sha256: sha(png) }],
    });
    expect(await eventTypes(id)).toEqual(['GenerationStarted', 'GenerationCompleted']);
  });

  const runOf = async (id: string) => {
    const [run] = await rowsOf<Record<string, unknown>>(
      database.db.execute(
        sql.raw(
          `select status, duration_ms, error_type, error_message, backend_metrics, reported_at from "${database.schema}".generation_runs where generation_id = '${id}'`,
        ),
      ),
    );
    return run!;
  };

  it('a v2 failure report is one round trip: the attempt fails and is retried, as failAttempt records it', async () => {
    const id = await newGeneration();
    const token = await awaiting(id, 1, tokens.mint(id, 1));
    trips.reset();
    const res = await post(token, {
      id: `${id}-1`,
      status: 'failed',
      error: 'CUDA out of memory',
      output: null,
    });
    expect(await res.json()).toEqual({ settled: 'retrying' });
    expect(trips.count).toBe(1);
    expect(await generation(id)).toMatchObject({ status: 'pending', attempts: 1 });
    expect(await runOf(id)).toMatchObject({
      status: 'failed',
      error_type: 'GeneratorFailed',
      error_message: 'CUDA out of memory',
    });
    const events = await new EventStore(database).readStream(`generation-${id}`);
    expect(events.map((e) => e.event)).toEqual([
      expect.objectContaining({ type: 'GenerationStarted' }),
      {
        type: 'GenerationAttemptFailed',
        generationId: id,
        model: 'sdxl',
        attempt: 1,
        error: { type: 'GeneratorFailed', message: 'CUDA out of memory' },
        retriable: true,
      },
    ]);
  });

  it('a v2 cancel report is one round trip (retried), and a repeated one is ignored', async () => {
    const id = await newGeneration();
    const token = await awaiting(id, 1, tokens.mint(id, 1));
    const canceled = { id: `${id}-1`, status: 'canceled', output: null };
    trips.reset();
    expect(await (await post(token, canceled)).json()).toEqual({ settled: 'retrying' });
    expect(trips.count).toBe(1);
    expect(await runOf(id)).toMatchObject({ status: 'failed', error_type: 'BackendCanceled' });
    const before = await generation(id);
    trips.reset();
    expect(await (await post(token, canceled)).json()).toEqual({ settled: 'ignored' });
    expect(trips.count).toBe(1);
    expect(await generation(id)).toEqual(before);
    expect(await eventTypes(id)).toEqual(['GenerationStarted', 'GenerationAttemptFailed']);
  });

  it('outputs genledger never keeps fail the generation for good in one round trip: both events, in order', async () => {
    const id = await newGeneration();
    const token = await awaiting(id, 1, tokens.mint(id, 1));
    served.set(`${id}-text`, new TextEncoder().encode('not an image at all'));
    trips.reset();
    const res = await post(token, {
      id: `${id}-1`,
      status: 'succeeded',
      output: [`${outputsFake.url}/out/${id}-text`],
    });
    expect(await res.json()).toEqual({ settled: 'failed' });
    expect(trips.count).toBe(1);
    const g = await generation(id);
    expect(g).toMatchObject({ status: 'failed', outputs: [] });
    const run = await runOf(id);
    expect(run).toMatchObject({ status: 'failed', error_type: 'OutputRejected' });
    const events = await new EventStore(database).readStream(`generation-${id}`);
    expect(events.map((e) => e.type)).toEqual([
      'GenerationStarted',
      'GenerationAttemptFailed',
      'GenerationFailed',
    ]);
    expect(events[2]!.sequence).toBeGreaterThan(events[1]!.sequence);
    expect(events[2]!.event).toEqual({
      type: 'GenerationFailed',
      generationId: id,
      model: 'sdxl',
      attempts: 1,
      reason: 'permanent-error',
      error: { type: 'OutputRejected', message: expect.stringContaining('is not a PNG') },
      durationMs: run.duration_ms,
    });
  });

  it('a failure naming another job is refused, an unknown attempt is 404: nothing written', async () => {
    const id = await newGeneration();
    const token = await awaiting(id, 1, tokens.mint(id, 1));
    const other = await post(token, { id: 'someone-else', status: 'failed', error: 'x', output: null });
    expect(other.status).toBe(400);
    const unknown = await post(tokens.mint(id, 2).token, { id: `${id}-1`, status: 'failed', error: 'x' });
    expect(unknown.status).toBe(404);
    expect((await generation(id)).status).toBe('running');
    expect(await eventTypes(id)).toEqual(['GenerationStarted']);
  });

  it('a running report writes nothing and is one round trip (the lookup)', async () => {
    const id = await newGeneration();
    const token = await awaiting(id, 1, tokens.mint(id, 1));
    trips.reset();
    expect(await (await post(token, { id: `${id}-1`, status: 'processing', output: null })).json()).toEqual({
      settled: 'running',
    });
    expect(trips.count).toBe(1);
    expect((await generation(id)).status).toBe('running');
    expect(await eventTypes(id)).toEqual(['GenerationStarted']);
  });
});
