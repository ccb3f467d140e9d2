// A backend's callback on a real server (docs/backends/README.md#callbacks-in-one-round-trip): a
// success with a v2 token is one round trip (token check, completion and event in one statement; the
// output copy aside); a forged or tampered token is 404 after one lookup by its hash, with nothing
// fetched or written; a token minted under the previous key settles by that lookup; a late or
// repeated callback never changes a completed generation's outputs; tokens minted before v2 still
// settle. Failure reports: callback-failures.test.ts; different bytes repeated: callback-outputs.test.ts.
import { randomBytes } from 'node:crypto';
import { callbackTokensOf } from '@genledger/wiring/callback-tokens';
import { describe, expect, it } from 'vitest';
import { pngKey, sha, tokens, useCallbackServer } from '../support/callback-server.ts';
import { useDatabases } from '../support/databases.ts';
import { pngBytes } from '../support/outputs.ts';

const dbs = useDatabases();

describe('backend callbacks on a real server', () => {
  const { t, awaiting, newGeneration, succeeded, post, generation, runOf, streamOf, eventTypes, fetchesOf } =
    useCallbackServer(dbs);

  it('a v2 success is one round trip: the generation, its run and GenerationCompleted as the two-step path wrote them', async () => {
    const id = await newGeneration();
    const token = await awaiting(id, 1, tokens.mint(id, 1));
    expect(token).toHaveLength(70);
    const png = pngBytes(1, 1, 1);
    t.trips.reset();
    const res = await post(token, succeeded(`${id}-1`, `${id}-a`, png));
    expect(await res.json()).toEqual({ settled: 'completed' });
    expect(t.trips.count).toBe(1);

    const g = await generation(id);
    const key = pngKey(id, 1, png);
    expect(g).toMatchObject({
      status: 'completed',
      prompt_id: `${id}-1`,
      outputs: [{ key, sha256: sha(png) }],
    });
    expect((await t.store.read(key))?.body).toEqual(new Uint8Array(png));
    const run = await runOf(id);
    expect(run).toMatchObject({
      status: 'completed',
      duration_ms: g.duration_ms,
      backend_metrics: { predictTimeS: 1.5 },
    });
    expect(run.reported_at).not.toBeNull();
    const events = await streamOf(id);
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
    for (const [what, forgery] of [
      ['another key', forged],
      ['generation id', flipped(3)],
      ['attempt', flipped(19)],
      ['MAC', flipped(51)],
    ] as const) {
      t.trips.reset();
      const res = await post(forgery, succeeded(`${id}-1`, `${id}-forged`, pngBytes(9)));
      expect(res.status, what).toBe(404);
      // Its MAC does not verify under the API's key: only the lookup by hash can tell a token
      // minted before the key rotated from a forged one, and it finds no run for this one.
      expect(t.trips.count, what).toBe(1);
    }
    // A spelling no token has (its spare bits set) is turned away before anything is asked.
    t.trips.reset();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const respelled = token.slice(0, -1) + alphabet[alphabet.indexOf(token.at(-1)!) | 1];
    expect((await post(respelled, succeeded(`${id}-1`, `${id}-forged`, pngBytes(9)))).status).toBe(404);
    expect(t.trips.count).toBe(0);
    expect(fetchesOf(`${id}-forged`)).toBe(0);
    expect((await generation(id)).status).toBe('running');
    expect(await eventTypes(id)).toEqual(['GenerationStarted']);
  });

  it('a token minted under the previous key (CursorSecret rotated) settles by the lookup path: one more round trip', async () => {
    const id = await newGeneration();
    const previousKey = callbackTokensOf('p'.repeat(40));
    const token = await awaiting(id, 1, previousKey.mint(id, 1));
    const png = pngBytes(6, 6);
    t.trips.reset();
    const res = await post(token, succeeded(`${id}-1`, `${id}-rotated`, png));
    expect(await res.json()).toEqual({ settled: 'completed' });
    expect(t.trips.count).toBe(2);
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
    await t.lifecycle.failAttempt({
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

    const lateBytes = pngBytes(1, 1);
    const late = await post(first, succeeded(`${id}-1`, `${id}-1`, lateBytes));
    expect(await late.json()).toEqual({ settled: 'ignored' });
    expect(fetchesOf(`${id}-1`)).toBe(1);
    expect(await generation(id)).toEqual(before);
    expect(before.outputs).toEqual([
      expect.objectContaining({ key: pngKey(id, 2, kept), sha256: sha(kept) }),
    ]);
    expect((await t.store.read(pngKey(id, 2, kept)))?.body).toEqual(new Uint8Array(kept));
    expect(await t.store.read(pngKey(id, 1, lateBytes))).toBeUndefined();
    expect((await eventTypes(id)).filter((e) => e === 'GenerationCompleted')).toHaveLength(1);
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
    expect((await t.store.read(pngKey(id, 1, png)))?.body).toEqual(new Uint8Array(png));
    expect((await eventTypes(id)).filter((e) => e === 'GenerationCompleted')).toHaveLength(1);
  });

  it('a callback naming another job is refused as before; what it wrote stays while the attempt is open', async () => {
    const id = await newGeneration();
    const token = await awaiting(id, 1, tokens.mint(id, 1));
    const res = await post(token, succeeded('someone-else', `${id}-o`, pngBytes(4)));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      detail: 'the callback names another job than this attempt submitted',
    });
    expect((await generation(id)).status).toBe('running');
    // Its own job's report may carry the same bytes (a resubmitted job, a fixed seed) and record
    // this very key: nothing is deleted while the attempt can still complete (docs/outputs.md).
    expect(await t.store.read(pngKey(id, 1, pngBytes(4)))).toBeDefined();
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
      outputs: [{ key: pngKey(id, 1, png), sha256: sha(png) }],
    });
    expect(await eventTypes(id)).toEqual(['GenerationStarted', 'GenerationCompleted']);
  });
});
