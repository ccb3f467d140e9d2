// Worker throughput against a real Postgres: batches of 10 through the very Lambda handler with the
// builtin generator, against a baseline that does the least a worker must (one INSERT per message)
// on the same server. Round trips are counted at pg's Client#query (one query, one round trip).
import { builtinGenerator } from '@genledger/adapters/generators/builtin-generator';
import { silentLogger } from '@genledger/core/ports/logger';
import { EventStore } from '@genledger/db/event-store';
import { GenerationLifecycle } from '@genledger/db/generation-lifecycle';
import { GenerationStore } from '@genledger/db/generation-store';
import { createWorkerHandler } from '@genledger/wiring/worker';
import { sql } from 'drizzle-orm';
import { pngOutput, tempKeepOutputs } from '../test/support/outputs.ts';
import { countRoundTrips } from '../test/support/round-trips.ts';
import { message, sqsEvent, sqsRecord } from '../test/support/sqs-events.ts';
import { benchDatabase } from './support/bench-database.ts';

const MESSAGES = Number(process.env.BENCH_WORKER_MESSAGES ?? 2000);

export default async function workerBench() {
  const roundTrips = countRoundTrips();
  const { database, stop } = await benchDatabase('bench_worker', 4);
  try {
    const events = new EventStore(database);
    const generator = builtinGenerator();
    const outputs = tempKeepOutputs(10 * 1024 * 1024);
    const handler = createWorkerHandler({
      deps: async () => ({
        lifecycle: new GenerationLifecycle(database, events),
        generations: new GenerationStore(database, events),
        generator,
        outputs,
        logger: silentLogger,
        staleAfterMs: 300_000,
      }),
    });
    // Accepted through the normal path first, as the HTTP API would (not timed).
    const store = new GenerationStore(database, events);
    const batches = [];
    for (let i = 0; i < MESSAGES; i += 10) {
      const records = [];
      for (let j = 0; j < 10; j++) {
        const m = message({ request: { prompt: `bench ${i + j}`, width: 512, height: 512, seed: i + j } });
        await store.create({
          id: m.generationId,
          request: {
            prompt: m.request.prompt,
            name: '',
            model: 'sdxl',
            width: 512,
            height: 512,
            steps: 20,
            guidance: 7.5,
            seed: i + j,
          },
          apiKeyId: null,
          idempotencyKey: null,
          requestHash: null,
          source: 'http',
          enqueued: true,
        });
        records.push(sqsRecord(m));
      }
      batches.push(sqsEvent(...records));
    }
    // Rendering alone, so the figure says how much of the worker's time is the database.
    let t = performance.now();
    for (const b of batches.slice(0, 20))
      for (const r of b.Records)
        await generator.generate({
          generationId: r.messageId,
          attempt: 1,
          request: JSON.parse(r.body).request,
        });
    const renderMsPerMessage = (performance.now() - t) / 200;

    roundTrips.reset();
    t = performance.now();
    let failures = 0;
    for (const b of batches) failures += (await handler(b)).batchItemFailures.length;
    const workerSeconds = (performance.now() - t) / 1000;
    const perMessageTrips = roundTrips.count / MESSAGES;

    // The same again with a backend that answers at once: what the worker itself costs.
    const instant = createWorkerHandler({
      deps: async () => ({
        lifecycle: new GenerationLifecycle(database, events),
        generations: new GenerationStore(database, events),
        generator: {
          name: 'instant',
          generate: async (job) => ({ outputs: pngOutput(job.attempt) }),
        },
        outputs,
        logger: silentLogger,
        staleAfterMs: 300_000,
      }),
    });
    // Producer-sent messages: each also creates its record, the worker's heaviest path.
    const second = batches.map((b) =>
      sqsEvent(
        ...b.Records.map(() =>
          sqsRecord(message({ request: { prompt: 'instant', width: 512, height: 512 } })),
        ),
      ),
    );
    t = performance.now();
    for (const b of second) failures += (await instant(b)).batchItemFailures.length;
    const instantSeconds = (performance.now() - t) / 1000;

    // Baseline: the same number of messages, each one bare INSERT, ten at a time concurrently.
    const table = sql.raw(`"${database.schema}".checkpoints`);
    t = performance.now();
    for (let i = 0; i < MESSAGES; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, (_, j) =>
          database.db.execute(sql`insert into ${table} (name, sequence) values (${`b${i + j}`}, ${i + j})`),
        ),
      );
    }
    const baselineSeconds = (performance.now() - t) / 1000;
    const figures = {
      messages: MESSAGES,
      failures,
      workerMessagesPerSecond: Math.round(MESSAGES / workerSeconds),
      baselineInsertsPerSecond: Math.round(MESSAGES / baselineSeconds),
      ratio: Number((baselineSeconds / workerSeconds).toFixed(3)),
      instantBackendMessagesPerSecond: Math.round(MESSAGES / instantSeconds),
      instantBackendRatio: Number((baselineSeconds / instantSeconds).toFixed(3)),
      roundTripsPerMessage: Number(perMessageTrips.toFixed(2)),
      builtinRenderMsPerMessage: Number(renderMsPerMessage.toFixed(2)),
    };
    console.log(
      `worker: ${figures.workerMessagesPerSecond} msg/s in batches of 10 (bare INSERT baseline ${figures.baselineInsertsPerSecond}/s, ratio ${figures.ratio}); ` +
        `with an instant backend ${figures.instantBackendMessagesPerSecond} msg/s (ratio ${figures.instantBackendRatio}, producer-sent so each also creates its record); ` +
        `${figures.roundTripsPerMessage} round trips/message (target ≤ 3); builtin render ${figures.builtinRenderMsPerMessage} ms/message; failures ${failures}`,
    );
    return figures;
  } finally {
    roundTrips.restore();
    await stop();
  }
}
