// A backend's failure, cancel and running reports on a real server
// (docs/backends/README.md#callbacks-in-one-round-trip): with a v2 token, a failure or cancel
// settles in one statement as failAttempt would (retried, or failed for good with both events), a
// running report is the one lookup that finds its attempt and writes nothing.
import { describe, expect, it } from 'vitest';
import { tokens, useCallbackServer } from '../support/callback-server.ts';
import { useDatabases } from '../support/databases.ts';

const dbs = useDatabases();

describe('backend failure reports on a real server', () => {
  const { t, awaiting, newGeneration, serve, post, generation, runOf, streamOf, eventTypes } =
    useCallbackServer(dbs);

  it('a v2 failure report is one round trip: the attempt fails and is retried, as failAttempt records it', async () => {
    const id = await newGeneration();
    const token = await awaiting(id, 1, tokens.mint(id, 1));
    t.trips.reset();
    const res = await post(token, {
      id: `${id}-1`,
      status: 'failed',
      error: 'CUDA out of memory',
      output: null,
    });
    expect(await res.json()).toEqual({ settled: 'retrying' });
    expect(t.trips.count).toBe(1);
    expect(await generation(id)).toMatchObject({ status: 'pending', attempts: 1 });
    expect(await runOf(id)).toMatchObject({
      status: 'failed',
      error_type: 'GeneratorFailed',
      error_message: 'CUDA out of memory',
    });
    const events = await streamOf(id);
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
    t.trips.reset();
    expect(await (await post(token, canceled)).json()).toEqual({ settled: 'retrying' });
    expect(t.trips.count).toBe(1);
    expect(await runOf(id)).toMatchObject({ status: 'failed', error_type: 'BackendCanceled' });
    const before = await generation(id);
    t.trips.reset();
    expect(await (await post(token, canceled)).json()).toEqual({ settled: 'ignored' });
    expect(t.trips.count).toBe(1);
    expect(await generation(id)).toEqual(before);
    expect(await eventTypes(id)).toEqual(['GenerationStarted', 'GenerationAttemptFailed']);
  });

  it('outputs genledger never keeps fail the generation for good in one round trip: both events, in order', async () => {
    const id = await newGeneration();
    const token = await awaiting(id, 1, tokens.mint(id, 1));
    const notAnImage = serve(`${id}-text`, new TextEncoder().encode('not an image at all'));
    t.trips.reset();
    const res = await post(token, {
      id: `${id}-1`,
      status: 'succeeded',
      output: [notAnImage],
    });
    expect(await res.json()).toEqual({ settled: 'failed' });
    expect(t.trips.count).toBe(1);
    const g = await generation(id);
    expect(g).toMatchObject({ status: 'failed', outputs: [] });
    const run = await runOf(id);
    expect(run).toMatchObject({ status: 'failed', error_type: 'OutputRejected' });
    const events = await streamOf(id);
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
    t.trips.reset();
    expect(await (await post(token, { id: `${id}-1`, status: 'processing', output: null })).json()).toEqual({
      settled: 'running',
    });
    expect(t.trips.count).toBe(1);
    expect((await generation(id)).status).toBe('running');
    expect(await eventTypes(id)).toEqual(['GenerationStarted']);
  });
});
