import type { GenerationRequestedMessageInput } from '@genledger/core/contracts/queue-message';
import { silentLogger } from '@genledger/core/ports/logger';
import type { Queue } from '@genledger/core/ports/queue';
import { cancelGeneration } from '@genledger/core/use-cases/cancel-generation';
import { submitGeneration } from '@genledger/core/use-cases/submit-generation';
import { EventStore, GenerationStore } from '@genledger/db';
import { describe, expect, it } from 'vitest';
import { ALL_TARGETS, useDatabases } from '../support/databases.ts';

const dbs = useDatabases();

function recordingQueue(fail: 'no' | 'throw' | 'refuse' = 'no') {
  const sent: GenerationRequestedMessageInput[] = [];
  const queue: Queue = {
    async send(messages) {
      if (fail === 'throw') throw new Error('queue unreachable');
      if (fail === 'refuse')
        return { failed: messages.map((m) => ({ generationId: m.generationId, error: 'throttled' })) };
      sent.push(...messages);
      return { failed: [] };
    },
  };
  return { queue, sent };
}

describe.each(ALL_TARGETS)('submitting generations on %s', (target) => {
  it('records the generation with its event, applies defaults, and sends one typed message', async () => {
    const database = await dbs.open(target);
    const events = new EventStore(database);
    const generations = new GenerationStore(database, events);
    const { queue, sent } = recordingQueue();
    const result = await submitGeneration(
      { generations, queue, logger: silentLogger },
      { body: { prompt: 'a red fox in snow', seed: 42 }, apiKeyId: null, idempotencyKey: null },
    );
    expect(result).toMatchObject({ created: true, enqueued: true });
    expect(result.generation).toMatchObject({
      status: 'pending',
      model: 'sdxl',
      width: 1024,
      steps: 20,
      guidance: 7.5,
      seed: 42,
    });
    expect(sent).toEqual([
      {
        type: 'generation.requested',
        version: 1,
        generationId: result.generation.id,
        request: {
          prompt: 'a red fox in snow',
          name: '',
          model: 'sdxl',
          width: 1024,
          height: 1024,
          steps: 20,
          guidance: 7.5,
          seed: 42,
        },
      },
    ]);
    const stream = await events.readStream(`generation-${result.generation.id}`);
    expect(stream.map((e) => e.type)).toEqual(['GenerationRequested']);
    expect(await generations.get(result.generation.id)).toEqual(result.generation);
  });

  it('rejects invalid input with field errors and writes nothing', async () => {
    const database = await dbs.open(target);
    const events = new EventStore(database);
    const generations = new GenerationStore(database, events);
    const { queue, sent } = recordingQueue();
    const deps = { generations, queue, logger: silentLogger };
    await expect(
      submitGeneration(deps, {
        body: { prompt: '', width: 10, extra: true },
        apiKeyId: null,
        idempotencyKey: null,
      }),
    ).rejects.toMatchObject({
      kind: 'validation',
      fieldErrors: expect.arrayContaining([
        expect.objectContaining({ field: 'prompt' }),
        expect.objectContaining({ field: 'width' }),
      ]),
    });
    await expect(
      submitGeneration(deps, { body: 'nope', apiKeyId: null, idempotencyKey: null }),
    ).rejects.toMatchObject({ kind: 'validation' });
    expect(await database.db.$count(database.tables.generations)).toBe(0);
    expect(await database.db.$count(database.tables.events)).toBe(0);
    expect(sent).toHaveLength(0);
  });

  it('honours idempotency keys: same body returns the original, another body conflicts', async () => {
    const database = await dbs.open(target);
    const events = new EventStore(database);
    const generations = new GenerationStore(database, events);
    const { queue, sent } = recordingQueue();
    const deps = { generations, queue, logger: silentLogger };
    const a = await submitGeneration(deps, {
      body: { prompt: 'p', width: 512 },
      apiKeyId: null,
      idempotencyKey: 'k1',
    });
    // Same request, keys in another order and a default spelled out: still the same request.
    const b = await submitGeneration(deps, {
      body: { width: 512, model: 'sdxl', prompt: 'p' },
      apiKeyId: null,
      idempotencyKey: 'k1',
    });
    expect(b).toMatchObject({ created: false });
    expect(b.generation.id).toBe(a.generation.id);
    await expect(
      submitGeneration(deps, { body: { prompt: 'other' }, apiKeyId: null, idempotencyKey: 'k1' }),
    ).rejects.toMatchObject({
      kind: 'conflict',
    });
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        submitGeneration(deps, { body: { prompt: 'race' }, apiKeyId: null, idempotencyKey: 'k2' }),
      ),
    );
    expect(new Set(results.map((r) => r.generation.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await database.db.$count(database.tables.generations)).toBe(2);
    expect(await database.db.$count(database.tables.events)).toBe(2);
    expect(sent).toHaveLength(2);
  });

  it('keeps work whose send failed and finds it for a re-send', async () => {
    const database = await dbs.open(target);
    const events = new EventStore(database);
    const generations = new GenerationStore(database, events);
    for (const mode of ['throw', 'refuse'] as const) {
      const { queue } = recordingQueue(mode);
      const r = await submitGeneration(
        { generations, queue, logger: silentLogger },
        { body: { prompt: mode }, apiKeyId: null, idempotencyKey: null },
      );
      expect(r).toMatchObject({ created: true, enqueued: false });
    }
    const future = new Date(Date.now() + 60_000);
    const unsent = await generations.findUnsent({
      notEnqueuedBefore: future,
      staleBefore: new Date(0),
      limit: 10,
    });
    expect(unsent.map((g) => g.prompt).sort()).toEqual(['refuse', 'throw']);
    await generations.markEnqueued(unsent.map((g) => g.id));
    expect(
      await generations.findUnsent({ notEnqueuedBefore: future, staleBefore: new Date(0), limit: 10 }),
    ).toEqual([]);
    // Marked sent but never picked up: the stale sweep finds it again.
    expect(
      await generations.findUnsent({ notEnqueuedBefore: future, staleBefore: future, limit: 10 }),
    ).toHaveLength(2);
  });

  it('cancels pending work once; finished work is a conflict; other owners see not-found', async () => {
    const database = await dbs.open(target);
    const events = new EventStore(database);
    const generations = new GenerationStore(database, events);
    const { queue } = recordingQueue();
    const keyId = crypto.randomUUID();
    await database.db
      .insert(database.tables.apiKeys)
      .values({ id: keyId, name: 'k', keyHash: 'a'.repeat(64), keyPrefix: 'gl_x' });
    const { generation } = await submitGeneration(
      { generations, queue, logger: silentLogger },
      { body: { prompt: 'c' }, apiKeyId: keyId, idempotencyKey: null },
    );
    await expect(
      cancelGeneration(
        { generations },
        { id: generation.id, owner: { admin: false, apiKeyId: crypto.randomUUID() } },
      ),
    ).rejects.toMatchObject({ kind: 'not-found' });
    const cancelled = await cancelGeneration(
      { generations },
      { id: generation.id, owner: { admin: false, apiKeyId: keyId } },
    );
    expect(cancelled.status).toBe('cancelled');
    await expect(
      cancelGeneration({ generations }, { id: generation.id, owner: { admin: true } }),
    ).rejects.toMatchObject({
      kind: 'conflict',
    });
    const stream = await events.readStream(`generation-${generation.id}`);
    expect(stream.map((e) => [e.type, e.streamVersion])).toEqual([
      ['GenerationRequested', 1],
      ['GenerationCancelled', 2],
    ]);
  });
});
