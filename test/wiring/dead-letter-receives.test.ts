// A dead-lettered message reports the receives it had on the main queue, not on its dead-letter
// queue, in the SQS shape and through the local queue; dead-lettering closes the run it left open.

import { silentLogger } from '@genledger/core/ports/logger';
import { submitGeneration } from '@genledger/core/use-cases/submit-generation';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { GenerationLifecycle } from '@genledger/db/generation-lifecycle';
import { GenerationStore } from '@genledger/db/generation-store';
import { startLocalPipeline } from '@genledger/local/pipeline';
import { createDeadLetterHandler, deadLetterDeps } from '@genledger/wiring/dead-letter';
import { describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';
import { journal } from '../support/generation-journal.ts';
import { flakyGenerator } from '../support/generators.ts';
import { recordingQueue, sqsEvent, sqsRecord } from '../support/sqs-events.ts';

const dbs = useDatabases();

describe('dead-lettered receive counts', () => {
  it('the SQS shape: a DLQ record received 8 times reports the main queue maximum, 3', async () => {
    const database = await dbs.open('postgres');
    const handler = createDeadLetterHandler({
      deps: async () => deadLetterDeps(database, { LOG_LEVEL: 'silent', QUEUE_MAX_RECEIVE_COUNT: '3' }),
    });
    const generationId = crypto.randomUUID();
    const record = sqsRecord(
      { type: 'generation.requested', version: 1, generationId, request: { prompt: 'dead' } },
      { receiveCount: 8 },
    );
    record.attributes.DeadLetterQueueSourceArn = record.eventSourceARN;
    record.eventSourceARN = `${record.eventSourceARN}-dlq`;
    expect(await handler(sqsEvent(record))).toEqual({ batchItemFailures: [] });
    const store = new FailedMessageStore(database, new EventStore(database));
    const { items } = await store.list(
      { statuses: ['unresolved'] },
      { field: 'lastFailedAt', descending: true },
      10,
    );
    expect(items).toHaveLength(1);
    const detail = await store.get(items[0]!.id);
    expect(detail?.attempts.map((a) => [a.receiveCount, a.queue])).toEqual([
      [3, record.attributes.DeadLetterQueueSourceArn],
    ]);
  });

  it('the local queue: a DLQ handler failing its first deliveries still records the 3 main-queue receives, and closes the open run', async () => {
    const database = await dbs.open('postgres');
    const real = deadLetterDeps(database, { LOG_LEVEL: 'silent' });
    let refusals = 4;
    const pipeline = startLocalPipeline({
      database,
      env: { LOG_LEVEL: 'silent' },
      generator: flakyGenerator(100).generator,
      visibilityTimeoutMs: 20,
      maxReceiveCount: 3,
      deadLetterHandler: createDeadLetterHandler({
        deps: async () => ({
          ...real,
          maxReceiveCount: 3,
          store: {
            ingest: async (r) => {
              if (refusals-- > 0) throw new Error('database restarting');
              return real.store.ingest(r);
            },
          },
        }),
      }),
    });
    try {
      const generations = new GenerationStore(database, new EventStore(database));
      const { generation } = await submitGeneration(
        { generations, queue: pipeline.queue, logger: silentLogger },
        { body: { prompt: 'always fails' }, apiKeyId: null, idempotencyKey: null },
      );
      await pipeline.drain(20_000);
      expect(refusals).toBeLessThan(0);
      const g = await generations.get(generation.id);
      expect(g).toMatchObject({ status: 'failed' });
      expect(g?.errorMessage).toContain('dead-lettered after 3 receives');
      const store = new FailedMessageStore(database, new EventStore(database));
      const { items } = await store.list(
        { statuses: ['unresolved'] },
        { field: 'lastFailedAt', descending: true },
        10,
      );
      const detail = await store.get(items[0]!.id);
      expect(detail?.attempts.map((a) => a.receiveCount)).toEqual([3]);
      const events = await new EventStore(database).readStream(`failed-message-${items[0]!.id}`);
      expect(events[0]).toMatchObject({ type: 'MessageDeadLettered', event: { receiveCount: 3 } });
      const { runs } = await journal(database, generation.id);
      expect(runs.filter((r) => r.status === 'running')).toEqual([]);
    } finally {
      await pipeline.stop();
    }
  });

  it('dead-lettering a generation whose attempt was left running closes that run', async () => {
    const database = await dbs.open('pglite');
    const events = new EventStore(database);
    const generations = new GenerationStore(database, events);
    const lifecycle = new GenerationLifecycle(database, events);
    const q = recordingQueue();
    const { generation } = await submitGeneration(
      { generations, queue: q.queue, logger: silentLogger },
      { body: { prompt: 'worker lost' }, apiKeyId: null, idempotencyKey: null },
    );
    await lifecycle.start({
      generationId: generation.id,
      messageId: 'm',
      receiveCount: 3,
      staleAfterMs: 60_000,
    });
    const store = new FailedMessageStore(database, events);
    const record = {
      ...q.records[0]!,
      attributes: { ...q.records[0]!.attributes, ApproximateReceiveCount: '4' },
    };
    const handler = createDeadLetterHandler({
      deps: async () => ({ store, logger: silentLogger, maxReceiveCount: 3 }),
    });
    expect(await handler(sqsEvent(record))).toEqual({ batchItemFailures: [] });
    expect((await generations.get(generation.id))?.status).toBe('failed');
    const { runs } = await journal(database, generation.id);
    expect(runs).toEqual([{ attempt: 1, status: 'failed', error_type: 'DeadLettered', completed: true }]);
  });
});
