// Unfinished work is found and sent again without a second completion; a cancel closes the attempt
// it interrupts. What a dead-lettered message reports of its receives is in dead-letter-receives.test.ts.

import type { GenerationJob, Generator } from '@genledger/core/ports/generator';
import { silentLogger } from '@genledger/core/ports/logger';
import { cancelGeneration } from '@genledger/core/use-cases/cancel-generation';
import { runMaintenance } from '@genledger/core/use-cases/run-maintenance';
import { submitGeneration } from '@genledger/core/use-cases/submit-generation';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { GenerationLifecycle } from '@genledger/db/generation-lifecycle';
import { GenerationStore } from '@genledger/db/generation-store';
import { createWorkerHandler } from '@genledger/wiring/worker';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';
import { journal } from '../support/generation-journal.ts';
import { flakyGenerator } from '../support/generators.ts';
import { pngOutput, tempKeepOutputs } from '../support/outputs.ts';
import { recordingQueue, sqsEvent, sqsRecord } from '../support/sqs-events.ts';

const dbs = useDatabases();

/** A backend that holds every job until released: an attempt that is still running. */
function gatedGenerator() {
  const calls: GenerationJob[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const generator: Generator = {
    name: 'gated',
    async generate(job) {
      calls.push(job);
      await gate;
      return { outputs: pngOutput(job.attempt) };
    },
  };
  return { generator, calls, release };
}

const waitFor = async (check: () => boolean, ms = 5_000) => {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

const age = (database: Database, id: string, seconds: number) =>
  database.db.execute(
    sql.raw(
      `update "${database.schema}".generations set created_at = created_at - interval '${seconds} seconds',
         updated_at = updated_at - interval '${seconds} seconds', enqueued_at = enqueued_at - interval '${seconds} seconds'
       where id = '${id}'`,
    ),
  );

describe.each(['pglite', 'postgres'] as const)('unfinished work on %s', (target) => {
  it('maintenance finds pending work with or without failed attempts, and running work only once its attempt is stale', async () => {
    const database = await dbs.open(target);
    const events = new EventStore(database);
    const generations = new GenerationStore(database, events);
    const lifecycle = new GenerationLifecycle(database, events);
    const { queue } = recordingQueue();
    const submit = async (prompt: string) =>
      (
        await submitGeneration(
          { generations, queue, logger: silentLogger },
          { body: { prompt }, apiKeyId: null, idempotencyKey: null },
        )
      ).generation.id;
    const fresh = await submit('never started');
    const failedOnce = await submit('failed once');
    const running = await submit('running');
    for (const [id, n] of [
      [failedOnce, 1],
      [running, 2],
    ] as const) {
      const started = await lifecycle.start({
        generationId: id,
        messageId: `m-${n}`,
        receiveCount: 1,
        staleAfterMs: 60_000,
      });
      expect(started.outcome).toBe('started');
    }
    await lifecycle.failAttempt({
      generationId: failedOnce,
      attempt: 1,
      model: 'sdxl',
      error: { type: 'GeneratorUnavailable', message: 'busy' },
      durationMs: 1,
      retriable: true,
    });
    for (const id of [fresh, failedOnce, running]) await age(database, id, 600);

    const find = (staleS: number, runningStaleS: number) =>
      generations
        .findUnsent({
          notEnqueuedBefore: new Date(Date.now() - 60_000),
          staleBefore: new Date(Date.now() - staleS * 1000),
          runningStaleBefore: new Date(Date.now() - runningStaleS * 1000),
          limit: 10,
        })
        .then((gs) => gs.map((g) => g.id).sort());
    // Quiet for 10 minutes: pending ones are due whatever their attempts; the running one only
    // once its attempt is past the worker's stale threshold.
    expect(await find(300, 900)).toEqual([fresh, failedOnce].sort());
    expect(await find(300, 300)).toEqual([fresh, failedOnce, running].sort());
    expect(await find(900, 900)).toEqual([]);

    // Through the use case: WORKER_STALE_AFTER_S applies to the running one.
    const sent = recordingQueue();
    const summary = await runMaintenance({
      generations,
      queue: sent.queue,
      projections: [],
      logger: silentLogger,
      clock: { now: () => new Date() },
      stalePendingAfterMs: 300_000,
      staleRunningAfterMs: 900_000,
    });
    expect(summary.resent).toBe(2);
    // Marked as sent: the next run leaves them to that message.
    expect(await find(300, 900)).toEqual([]);
  });

  it('a re-send while the first message is still in flight completes the generation once (SQS shape)', async () => {
    const database = await dbs.open(target);
    const events = new EventStore(database);
    const generations = new GenerationStore(database, events);
    const gated = gatedGenerator();
    const deps = {
      lifecycle: new GenerationLifecycle(database, events),
      generations,
      generator: gated.generator,
      outputs: tempKeepOutputs(),
      logger: silentLogger,
      staleAfterMs: 300_000,
    };
    const worker = createWorkerHandler({ deps: async () => deps });
    const first = recordingQueue();
    const { generation } = await submitGeneration(
      { generations, queue: first.queue, logger: silentLogger },
      { body: { prompt: 'in flight' }, apiKeyId: null, idempotencyKey: null },
    );
    const inFlight = worker(sqsEvent(first.records[0]!));
    await waitFor(() => gated.calls.length === 1);

    // Maintenance with thresholds at zero re-sends it although its message is merely in flight.
    const resent = recordingQueue();
    await age(database, generation.id, 3600);
    const summary = await runMaintenance({
      generations,
      queue: resent.queue,
      projections: [],
      logger: silentLogger,
      clock: { now: () => new Date() },
      stalePendingAfterMs: 0,
      staleRunningAfterMs: 0,
    });
    expect(summary.resent).toBe(1);
    // Its attempt is live (younger than the worker's threshold): the duplicate is handed back.
    const duplicate = resent.records[0]!;
    expect(await worker(sqsEvent(duplicate))).toEqual({
      batchItemFailures: [{ itemIdentifier: duplicate.messageId }],
    });
    gated.release();
    expect(await inFlight).toEqual({ batchItemFailures: [] });
    // Delivered again later: the generation is finished, the duplicate is acknowledged.
    expect(
      await worker(
        sqsEvent(sqsRecord(JSON.parse(duplicate.body), { messageId: duplicate.messageId, receiveCount: 2 })),
      ),
    ).toEqual({
      batchItemFailures: [],
    });
    const { runs, events: stream } = await journal(database, generation.id);
    expect(runs).toEqual([{ attempt: 1, status: 'completed', error_type: null, completed: true }]);
    expect(stream.filter((e) => e.type === 'GenerationCompleted')).toHaveLength(1);
    expect(gated.calls).toHaveLength(1);
  });

  it('a re-send that takes over a stale attempt completes once: the old worker finishing late records nothing', async () => {
    const database = await dbs.open(target);
    const events = new EventStore(database);
    const generations = new GenerationStore(database, events);
    const lifecycle = new GenerationLifecycle(database, events);
    const gated = gatedGenerator();
    const oldWorker = createWorkerHandler({
      deps: async () => ({
        lifecycle,
        generations,
        generator: gated.generator,
        outputs: tempKeepOutputs(),
        logger: silentLogger,
        staleAfterMs: 300_000,
      }),
    });
    // The worker that receives the re-send considers any attempt stale (its threshold passed).
    const newWorker = createWorkerHandler({
      deps: async () => ({
        lifecycle,
        generations,
        generator: flakyGenerator(0).generator,
        outputs: tempKeepOutputs(),
        logger: silentLogger,
        staleAfterMs: 0,
      }),
    });
    const first = recordingQueue();
    const { generation } = await submitGeneration(
      { generations, queue: first.queue, logger: silentLogger },
      { body: { prompt: 'frozen worker' }, apiKeyId: null, idempotencyKey: null },
    );
    const frozen = oldWorker(sqsEvent(first.records[0]!));
    await waitFor(() => gated.calls.length === 1);
    const resent = recordingQueue();
    await age(database, generation.id, 3600);
    await runMaintenance({
      generations,
      queue: resent.queue,
      projections: [],
      logger: silentLogger,
      clock: { now: () => new Date() },
      stalePendingAfterMs: 0,
      staleRunningAfterMs: 0,
    });
    expect(await newWorker(sqsEvent(resent.records[0]!))).toEqual({ batchItemFailures: [] });
    gated.release();
    expect(await frozen).toEqual({ batchItemFailures: [] });
    const { runs, events: stream } = await journal(database, generation.id);
    expect(runs).toEqual([
      { attempt: 1, status: 'failed', error_type: 'WorkerLost', completed: true },
      { attempt: 2, status: 'completed', error_type: null, completed: true },
    ]);
    expect(stream.filter((e) => e.type === 'GenerationCompleted')).toHaveLength(1);
    expect((await generations.get(generation.id))?.outputPath).toMatch(
      new RegExp(`^generations/${generation.id}/2/0-[0-9a-f]{32}\\.png$`),
    );
  });

  it('cancelling while an attempt runs closes that run, names it in the event, and the late result records nothing', async () => {
    const database = await dbs.open(target);
    const events = new EventStore(database);
    const generations = new GenerationStore(database, events);
    const gated = gatedGenerator();
    const worker = createWorkerHandler({
      deps: async () => ({
        lifecycle: new GenerationLifecycle(database, events),
        generations,
        generator: gated.generator,
        outputs: tempKeepOutputs(),
        logger: silentLogger,
        staleAfterMs: 300_000,
      }),
    });
    const q = recordingQueue();
    const { generation } = await submitGeneration(
      { generations, queue: q.queue, logger: silentLogger },
      { body: { prompt: 'cancel me midway' }, apiKeyId: null, idempotencyKey: null },
    );
    const running = worker(sqsEvent(q.records[0]!));
    await waitFor(() => gated.calls.length === 1);
    const cancelled = await cancelGeneration({ generations }, { id: generation.id, owner: { admin: true } });
    expect(cancelled.status).toBe('cancelled');
    let j = await journal(database, generation.id);
    expect(j.runs).toEqual([{ attempt: 1, status: 'failed', error_type: 'Cancelled', completed: true }]);
    expect(j.events.at(-1)).toMatchObject({ type: 'GenerationCancelled', event: { attempt: 1 } });

    gated.release();
    expect(await running).toEqual({ batchItemFailures: [] });
    j = await journal(database, generation.id);
    expect(j.runs).toEqual([{ attempt: 1, status: 'failed', error_type: 'Cancelled', completed: true }]);
    expect(j.events.map((e) => e.type)).toEqual([
      'GenerationRequested',
      'GenerationStarted',
      'GenerationCancelled',
    ]);
    expect((await generations.get(generation.id))?.status).toBe('cancelled');

    // Cancelling pending work names no attempt.
    const { generation: pending } = await submitGeneration(
      { generations, queue: q.queue, logger: silentLogger },
      { body: { prompt: 'never started' }, apiKeyId: null, idempotencyKey: null },
    );
    await cancelGeneration({ generations }, { id: pending.id, owner: { admin: true } });
    const p = await journal(database, pending.id);
    expect(p.runs).toEqual([]);
    expect(p.events.at(-1)).toMatchObject({ type: 'GenerationCancelled', event: { attempt: null } });
  });
});
