import { silentLogger } from '@genledger/core/ports/logger';
import { cancelGeneration } from '@genledger/core/use-cases/cancel-generation';
import type { ProcessMessageDeps } from '@genledger/core/use-cases/process-generation-message';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { GenerationLifecycle } from '@genledger/db/generation-lifecycle';
import { GenerationStore } from '@genledger/db/generation-store';
import { createWorkerHandler } from '@genledger/wiring/worker';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../packages/db/src/executor.ts';
import { ALL_TARGETS, useDatabases } from '../support/databases.ts';
import { flakyGenerator } from '../support/generators.ts';
import { tempKeepOutputs } from '../support/outputs.ts';
import { message, sqsEvent, sqsRecord } from '../support/sqs-events.ts';

const dbs = useDatabases();

function setup(
  database: Database,
  generator = flakyGenerator(0).generator,
  overrides: Partial<ProcessMessageDeps> = {},
) {
  const events = new EventStore(database);
  const deps: ProcessMessageDeps = {
    lifecycle: new GenerationLifecycle(database, events),
    generations: new GenerationStore(database, events),
    generator,
    outputs: tempKeepOutputs(),
    logger: silentLogger,
    staleAfterMs: 60_000,
    ...overrides,
  };
  return {
    handler: createWorkerHandler({ deps: async () => deps }),
    events,
    deps,
    generations: new GenerationStore(database, events),
  };
}

async function journal(database: Database, generationId: string) {
  const runs = await rowsOf<{
    attempt: number;
    status: string;
    error_type: string | null;
    message_id: string;
  }>(
    database.db.execute(
      sql.raw(
        `select attempt, status, error_type, message_id from "${database.schema}".generation_runs where generation_id = '${generationId}' order by attempt`,
      ),
    ),
  );
  const events = await new EventStore(database).readStream(`generation-${generationId}`);
  return { runs, types: events.map((e) => e.type) };
}

describe.each(ALL_TARGETS)('worker on %s', (target) => {
  it('creates a producer-sent generation, runs it, and journals every step', async () => {
    const database = await dbs.open(target);
    const { handler, generations } = setup(database);
    const m = message({ idempotencyKey: 'order-1' });
    const record = sqsRecord(m);
    expect(await handler(sqsEvent(record))).toEqual({ batchItemFailures: [] });
    const g = await generations.get(m.generationId);
    expect(g).toMatchObject({
      status: 'completed',
      attempts: 1,
      outputPath: expect.stringMatching(new RegExp(`^generations/${m.generationId}/1/0-[0-9a-f]{32}\\.png$`)),
      outputs: [
        {
          key: expect.stringMatching(new RegExp(`^generations/${m.generationId}/1/0-[0-9a-f]{32}\\.png$`)),
          contentType: 'image/png',
          bytes: 9,
        },
      ],
      width: 512,
      idempotencyKey: 'order-1',
    });
    expect(g!.durationMs).toBeGreaterThanOrEqual(0);
    expect(await journal(database, m.generationId)).toEqual({
      runs: [{ attempt: 1, status: 'completed', error_type: null, message_id: record.messageId }],
      types: ['GenerationRequested', 'GenerationStarted', 'GenerationCompleted'],
    });
  });

  it('reports only the messages to retry: an invalid one is recorded and dropped, a transient failure retried', async () => {
    const database = await dbs.open(target);
    const flaky = flakyGenerator(1);
    const invalid: unknown[] = [];
    const { handler, generations } = setup(database, flaky.generator, {
      onInvalidMessage: async (i) => void invalid.push(i),
    });
    const ok = message();
    const failing = message();
    // One at a time so the flaky backend's single failure lands on `failing`.
    const notJson = sqsRecord('{oops');
    const badShape = sqsRecord(JSON.stringify({ ...message(), request: { prompt: '' } }));
    const r1 = await handler(sqsEvent(sqsRecord(failing)));
    expect(r1.batchItemFailures).toHaveLength(1);
    const r2 = await handler(sqsEvent(sqsRecord(ok), notJson, badShape));
    expect(r2).toEqual({ batchItemFailures: [] });
    expect(invalid).toHaveLength(2);
    expect((await generations.get(ok.generationId))?.status).toBe('completed');
    expect(await generations.get(failing.generationId)).toMatchObject({
      status: 'pending',
      attempts: 1,
      errorMessage: 'backend said no',
    });
    expect((await journal(database, failing.generationId)).runs).toEqual([
      expect.objectContaining({ attempt: 1, status: 'failed', error_type: 'GeneratorUnavailable' }),
    ]);
    // SQS redelivers the same message: the next attempt completes it.
    const again = await handler(sqsEvent(sqsRecord(failing, { receiveCount: 2 })));
    expect(again.batchItemFailures).toEqual([]);
    expect(await journal(database, failing.generationId)).toMatchObject({
      runs: [
        { attempt: 1, status: 'failed' },
        { attempt: 2, status: 'completed' },
      ],
      types: [
        'GenerationRequested',
        'GenerationStarted',
        'GenerationAttemptFailed',
        'GenerationStarted',
        'GenerationCompleted',
      ],
    });
  });

  it('gives a producer’s request without a model the default model; a named one is kept', async () => {
    const database = await dbs.open(target);
    const { handler, generations } = setup(database, undefined, { defaultModel: async () => 'flux-dev' });
    const unnamed = message();
    const named = message({ request: { prompt: 'named', model: 'sdxl-turbo' } });
    expect(await handler(sqsEvent(sqsRecord(unnamed), sqsRecord(named)))).toEqual({ batchItemFailures: [] });
    expect(await generations.get(unnamed.generationId)).toMatchObject({
      status: 'completed',
      model: 'flux-dev',
    });
    expect(await generations.get(named.generationId)).toMatchObject({
      status: 'completed',
      model: 'sdxl-turbo',
    });
  });

  it('an invalid message for a running generation fails it and closes its running attempt', async () => {
    const database = await dbs.open(target);
    const { handler, deps, generations } = setup(database, flakyGenerator(1).generator, {
      onInvalidMessage: async () => {},
    });
    const m = message();
    expect((await handler(sqsEvent(sqsRecord(m)))).batchItemFailures).toHaveLength(1);
    // Attempt 2 taken by a worker that is still at it when the broken copy arrives.
    const start = await deps.lifecycle.start({
      generationId: m.generationId,
      messageId: 'still-running',
      receiveCount: 2,
      staleAfterMs: 60_000,
    });
    expect(start.outcome).toBe('started');
    const broken = sqsRecord(JSON.stringify({ ...m, request: { prompt: '' } }));
    expect(await handler(sqsEvent(broken))).toEqual({ batchItemFailures: [] });
    expect(await generations.get(m.generationId)).toMatchObject({ status: 'failed', attempts: 2 });
    expect(await journal(database, m.generationId)).toMatchObject({
      runs: [
        { attempt: 1, status: 'failed', error_type: 'GeneratorUnavailable' },
        { attempt: 2, status: 'failed', error_type: 'InvalidMessage' },
      ],
      types: [
        'GenerationRequested',
        'GenerationStarted',
        'GenerationAttemptFailed',
        'GenerationStarted',
        'GenerationFailed',
      ],
    });
  });

  it('fails a generation at once on a permanent error and acknowledges the message', async () => {
    const database = await dbs.open(target);
    const { handler, generations } = setup(database, flakyGenerator(1, { permanent: true }).generator);
    const m = message();
    expect(await handler(sqsEvent(sqsRecord(m)))).toEqual({ batchItemFailures: [] });
    expect(await generations.get(m.generationId)).toMatchObject({
      status: 'failed',
      errorMessage: 'backend said no',
    });
    expect((await journal(database, m.generationId)).types).toEqual([
      'GenerationRequested',
      'GenerationStarted',
      'GenerationAttemptFailed',
      'GenerationFailed',
    ]);
  });

  it('is idempotent under duplicate delivery: one completion, one run, one event', async () => {
    const database = await dbs.open(target);
    const flaky = flakyGenerator(0);
    const { handler } = setup(database, flaky.generator);
    const m = message();
    const record = sqsRecord(m);
    await handler(sqsEvent(record));
    await handler(sqsEvent(record));
    await handler(sqsEvent(sqsRecord(m)));
    expect(flaky.calls).toHaveLength(1);
    expect(await journal(database, m.generationId)).toMatchObject({
      runs: [{ attempt: 1, status: 'completed' }],
      types: ['GenerationRequested', 'GenerationStarted', 'GenerationCompleted'],
    });
  });

  it('acknowledges work for cancelled generations without running it', async () => {
    const database = await dbs.open(target);
    const flaky = flakyGenerator(0);
    const { handler, generations } = setup(database, flaky.generator);
    const m = message();
    await generations.create({
      id: m.generationId,
      request: {
        ...m.request,
        name: '',
        model: 'sdxl',
        width: 512,
        height: 384,
        steps: 20,
        guidance: 7.5,
      } as never,
      apiKeyId: null,
      idempotencyKey: null,
      requestHash: null,
      source: 'http',
      enqueued: true,
    });
    await cancelGeneration({ generations }, { id: m.generationId, owner: { admin: true } });
    expect(await handler(sqsEvent(sqsRecord(m)))).toEqual({ batchItemFailures: [] });
    expect(flaky.calls).toHaveLength(0);
    expect((await generations.get(m.generationId))?.status).toBe('cancelled');
  });

  it('reports every record of an all-failed batch, and every record when the database is unreachable', async () => {
    const database = await dbs.open(target);
    const { handler } = setup(database, flakyGenerator(100).generator);
    const records = [sqsRecord(message()), sqsRecord(message()), sqsRecord(message())];
    const result = await handler(sqsEvent(...records));
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(
      records.map((r) => r.messageId).sort(),
    );
    const broken = createWorkerHandler({
      deps: async () => Promise.reject(new Error('database down')),
      logger: silentLogger,
    });
    expect((await broken(sqsEvent(...records))).batchItemFailures).toHaveLength(3);
  });
});

describe('worker on a real server under concurrency and crashes', () => {
  it('five workers racing on one message yield one completion, one run and one completion event', async () => {
    const database = await dbs.open('postgres');
    const flaky = flakyGenerator(0, { delayMs: 30 });
    const { handler } = setup(database, flaky.generator);
    const m = message();
    // Created first so every worker races on the start, not on the create.
    await handler(sqsEvent(sqsRecord(message())));
    const record = sqsRecord(m);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => handler(sqsEvent({ ...record, receiptHandle: crypto.randomUUID() }))),
    );
    const failures = results.flatMap((r) => r.batchItemFailures);
    expect(failures.length).toBeLessThanOrEqual(4);
    const { runs, types } = await journal(database, m.generationId);
    expect(runs).toEqual([expect.objectContaining({ attempt: 1, status: 'completed' })]);
    expect(types.filter((t) => t === 'GenerationCompleted')).toHaveLength(1);
    expect(types.filter((t) => t === 'GenerationStarted')).toHaveLength(1);
    // The ones handed back find it completed on redelivery and acknowledge.
    expect(
      (await handler(sqsEvent(sqsRecord(m, { messageId: record.messageId, receiveCount: 2 }))))
        .batchItemFailures,
    ).toEqual([]);
  });

  it('a crash after the generator returned and before completion was written is completed once on redelivery', async () => {
    const database = await dbs.open('postgres');
    const flaky = flakyGenerator(0);
    const base = setup(database, flaky.generator);
    const crash = new Error('process killed');
    // The worker "dies" right after the backend answered: nothing after it is written.
    const dying = createWorkerHandler({
      deps: async () => ({
        ...base.deps,
        lifecycle: Object.assign(Object.create(base.deps.lifecycle), {
          complete: async () => Promise.reject(crash),
          failAttempt: async () => Promise.reject(crash),
        }),
      }),
    });
    const m = message();
    const record = sqsRecord(m);
    expect((await dying(sqsEvent(record))).batchItemFailures).toHaveLength(1);
    expect((await base.generations.get(m.generationId))?.status).toBe('running');
    // SQS redelivers the same message after the visibility timeout; a healthy worker takes over.
    expect(
      (await base.handler(sqsEvent(sqsRecord(m, { messageId: record.messageId, receiveCount: 2 }))))
        .batchItemFailures,
    ).toEqual([]);
    expect(await base.generations.get(m.generationId)).toMatchObject({ status: 'completed', attempts: 2 });
    const { runs, types } = await journal(database, m.generationId);
    expect(runs).toEqual([
      expect.objectContaining({ attempt: 1, status: 'failed', error_type: 'WorkerLost' }),
      expect.objectContaining({ attempt: 2, status: 'completed' }),
    ]);
    expect(types.filter((t) => t === 'GenerationCompleted')).toHaveLength(1);
    expect(flaky.calls).toHaveLength(2);
  });

  it('a live attempt is not taken over by a duplicate of another message, a stale one is', async () => {
    const database = await dbs.open('postgres');
    let release = () => {};
    const slow = flakyGenerator(0, { gate: new Promise<void>((r) => (release = r)) });
    const { handler } = setup(database, slow.generator, { staleAfterMs: 100 });
    const fresh = setup(database, slow.generator, { staleAfterMs: 60_000 });
    const m = message();
    const first = handler(sqsEvent(sqsRecord(m)));
    // The first delivery's attempt is running: its job is in the backend's hands.
    for (const until = Date.now() + 10_000; slow.calls.length === 0; ) {
      if (Date.now() > until) throw new Error('the first delivery never reached the backend');
      await new Promise((r) => setTimeout(r, 5));
    }
    // A second copy (maintenance re-send) while the first runs and is not stale: handed back.
    expect((await fresh.handler(sqsEvent(sqsRecord(m)))).batchItemFailures).toHaveLength(1);
    release();
    await first;
    const { types } = await journal(database, m.generationId);
    expect(types.filter((t) => t === 'GenerationCompleted')).toHaveLength(1);
  });
});
