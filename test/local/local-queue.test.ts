import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '@genledger/core/ports/logger';
import type { Queue } from '@genledger/core/ports/queue';
import { submitGeneration } from '@genledger/core/use-cases/submit-generation';
import { EventStore } from '@genledger/db/event-store';
import { GenerationLifecycle } from '@genledger/db/generation-lifecycle';
import { GenerationStore } from '@genledger/db/generation-store';
import { LocalQueueStore } from '@genledger/db/local-queue-store';
import { LocalConsumer, LocalQueue } from '@genledger/local/local-queue';
import { startLocalPipeline } from '@genledger/local/pipeline';
import { startLocalServer } from '@genledger/local/server';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { pngSize } from '../../packages/adapters/src/generators/png.ts';
import { useDatabases } from '../support/databases.ts';
import { flakyGenerator } from '../support/generators.ts';

const dbs = useDatabases();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value (not undefined), or fails after `timeoutMs`. */
async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('local queue', () => {
  it('hides a received message for the visibility timeout, then delivers it again with a higher receive count', async () => {
    const store = new LocalQueueStore(await dbs.open('pglite'));
    // Long enough that the receive right after the first surely falls within it, loaded or not.
    const q = new LocalQueue({ name: 'q', store, visibilityTimeoutMs: 500 });
    const id = await q.send('hello', { type: 't' });
    const receivedAt = Date.now();
    const [first] = await q.receive();
    expect(first).toMatchObject({
      messageId: id,
      body: 'hello',
      eventSource: 'aws:sqs',
      eventSourceARN: q.arn,
    });
    expect(first!.attributes.ApproximateReceiveCount).toBe('1');
    expect(first!.messageAttributes.type?.stringValue).toBe('t');
    expect(await q.receive()).toEqual([]);
    const [second] = await eventually('the message to be visible again', async () => {
      const got = await q.receive();
      return got.length ? got : undefined;
    });
    // Not before its visibility timeout ended (the database's clock and this one are the machine's).
    expect(Date.now() - receivedAt).toBeGreaterThanOrEqual(500 - 5);
    expect(second!.attributes.ApproximateReceiveCount).toBe('2');
    expect(second!.attributes.ApproximateFirstReceiveTimestamp).toBe(
      first!.attributes.ApproximateFirstReceiveTimestamp,
    );
    // The first receipt is stale now: deleting with it does nothing.
    expect(await q.delete(first!.receiptHandle)).toBe(false);
    expect(await q.delete(second!.receiptHandle)).toBe(true);
    expect(await q.size()).toBe(0);
  });

  it('an idle consumer waits instead of polling: an empty queue has no next message, a busy one says when', async () => {
    const store = new LocalQueueStore(await dbs.open('pglite'));
    const q = new LocalQueue({ name: 'idle', store, visibilityTimeoutMs: 10_000 });
    expect((await q.stats()).nextVisibleInMs).toBeUndefined();
    let receives = 0;
    const receive = q.receive.bind(q);
    q.receive = (n?: number) => {
      receives++;
      return receive(n);
    };
    // How long the consumer goes to sleep for, each time it does.
    const naps: number[] = [];
    const waitForChange = q.waitForChange.bind(q);
    q.waitForChange = (ms: number) => {
      naps.push(ms);
      return waitForChange(ms);
    };
    const consumer = new LocalConsumer(q, async () => undefined, { idlePollMs: 60_000 });
    consumer.start();
    await eventually('the consumer to go to sleep', async () => (naps.length ? true : undefined));
    // Once at start, then asleep until a send wakes it, or for the idle poll (it used to re-poll
    // every millisecond).
    expect(receives).toBe(1);
    expect(naps).toEqual([60_001]);
    await q.send('wake up');
    await eventually('the sent message to be handled', async () =>
      receives >= 2 && (await q.size()) === 0 ? true : undefined,
    );
    await consumer.stop();
    await q.send('held');
    await q.receive();
    const { nextVisibleInMs } = await q.stats();
    expect(nextVisibleInMs).toBeGreaterThan(9_000);
    expect(nextVisibleInMs).toBeLessThanOrEqual(10_000);
  });

  it('keeps its messages in the database: a new queue over it (a restart) delivers them, in-flight ones after their timeout', async () => {
    const database = await dbs.open('postgres');
    // Long enough that the second queue's first receive surely falls within it, loaded or not.
    const before = new LocalQueue({
      name: 'q',
      store: new LocalQueueStore(database),
      visibilityTimeoutMs: 1_000,
    });
    await before.send('received before the crash');
    await before.send('never received');
    const [inFlight] = await before.receive(1);
    expect(inFlight!.body).toBe('received before the crash');

    const after = new LocalQueue({
      name: 'q',
      store: new LocalQueueStore(database),
      visibilityTimeoutMs: 1_000,
    });
    const now = await after.receive();
    expect(now.map((r) => r.body)).toEqual(['never received']);
    expect(await after.delete(now[0]!.receiptHandle)).toBe(true);
    const [again] = await eventually('the in-flight message to be visible again', async () => {
      const got = await after.receive();
      return got.length ? got : undefined;
    });
    expect(again).toMatchObject({ messageId: inFlight!.messageId, body: 'received before the crash' });
    expect(again!.attributes.ApproximateReceiveCount).toBe('2');
    // Handed back at once (a stopping consumer's batch): visible again without waiting.
    expect(await after.release([again!.receiptHandle])).toBe(1);
    expect((await after.receive()).map((r) => r.messageId)).toEqual([inFlight!.messageId]);
  });

  it('never gives one message to two receivers at once (two processes on one database)', async () => {
    const database = await dbs.open('postgres');
    const a = new LocalQueue({
      name: 'q',
      store: new LocalQueueStore(database),
      visibilityTimeoutMs: 10_000,
    });
    const b = new LocalQueue({
      name: 'q',
      store: new LocalQueueStore(database),
      visibilityTimeoutMs: 10_000,
    });
    for (let i = 0; i < 40; i++) await a.send(`m${i}`);
    const got = (await Promise.all([a, b, a, b, a, b].map((q) => q.receive(10)))).flat();
    expect(got).toHaveLength(40);
    expect(new Set(got.map((r) => r.messageId)).size).toBe(40);
  });

  it('delivers batches of at most 10 and redrives to the dead-letter queue after maxReceiveCount receives', async () => {
    const store = new LocalQueueStore(await dbs.open('pglite'));
    const dlq = new LocalQueue({ name: 'dlq', store, visibilityTimeoutMs: 1000 });
    const q = new LocalQueue({
      name: 'main',
      store,
      visibilityTimeoutMs: 20,
      maxReceiveCount: 2,
      deadLetter: dlq,
    });
    for (let i = 0; i < 12; i++) await q.send(`m${i}`);
    const batches: number[] = [];
    const dead: SQSEvent[] = [];
    const consumer = new LocalConsumer(q, async (event) => {
      batches.push(event.Records.length);
      return {
        batchItemFailures: event.Records.filter((r) => r.body === 'm3').map((r) => ({
          itemIdentifier: r.messageId,
        })),
      };
    });
    const dlqConsumer = new LocalConsumer(dlq, async (event) => void dead.push(event));
    consumer.start();
    dlqConsumer.start();
    for (let i = 0; i < 500 && dead.length === 0; i++) await sleep(10);
    await consumer.stop();
    await dlqConsumer.stop();
    expect(Math.max(...batches)).toBe(10);
    expect(dead).toHaveLength(1);
    const [record] = dead[0]!.Records;
    expect(record).toMatchObject({ body: 'm3', eventSourceARN: dlq.arn });
    expect(record!.attributes).toMatchObject({
      ApproximateReceiveCount: '3',
      DeadLetterQueueSourceArn: q.arn,
    });
    expect(await q.size()).toBe(0);
  });
});

describe('local pipeline', () => {
  it('at start, sends what no stored message will deliver: accepted but never sent, and a running attempt once stale', async () => {
    const database = await dbs.open('pglite');
    const events = new EventStore(database);
    const generations = new GenerationStore(database, events);
    // The process died between commit and send: the generation counts as sent, no message exists.
    const lost: Queue = { send: async () => ({ failed: [] }) };
    const submit = async (prompt: string) =>
      (
        await submitGeneration(
          { generations, queue: lost, logger: silentLogger },
          { body: { prompt }, apiKeyId: null, idempotencyKey: null },
        )
      ).generation.id;
    const neverSent = await submitGeneration(
      { generations, queue: lost, logger: silentLogger },
      { body: { prompt: 'never sent' }, apiKeyId: null, idempotencyKey: null },
    );
    const orphaned = await submit('its worker died, its message is gone');
    await new GenerationLifecycle(database, events).start({
      generationId: orphaned,
      messageId: 'gone',
      receiveCount: 1,
      staleAfterMs: 60_000,
    });

    const live = startLocalPipeline({
      database,
      env: { LOG_LEVEL: 'silent' },
      generator: flakyGenerator(0).generator,
    });
    // The running attempt is younger than WORKER_STALE_AFTER_S: left to its worker.
    expect(await live.recovered).toBe(1);
    await live.drain(10_000);
    await live.stop();
    expect((await generations.get(neverSent.generation.id))?.status).toBe('completed');
    expect((await generations.get(orphaned))?.status).toBe('running');

    // Restarted with the attempt past the threshold (0 s: the first pipeline's whole run has passed
    // since it started): sent, taken over, completed.
    const next = startLocalPipeline({
      database,
      env: { LOG_LEVEL: 'silent', WORKER_STALE_AFTER_S: '0' },
      generator: flakyGenerator(0).generator,
    });
    try {
      expect(await next.recovered).toBe(1);
      await next.drain(10_000);
      expect((await generations.get(orphaned))?.status).toBe('completed');
      const stream = await events.readStream(`generation-${orphaned}`);
      expect(stream.filter((e) => e.type === 'GenerationCompleted')).toHaveLength(1);
    } finally {
      await next.stop();
    }
  });

  it('runs accepted work through the Lambda worker handler to a real output, end to end over HTTP', async () => {
    const database = await dbs.open('pglite');
    const dataDir = `/tmp/gl-pipeline-${process.pid}`;
    const admin = `pipeline-admin-key-${'a'.repeat(30)}`;
    const server = await startLocalServer({
      database,
      port: 0,
      env: { LOG_LEVEL: 'silent', ADMIN_API_KEY: admin, DATA_DIR: dataDir },
    });
    try {
      const res = await fetch(`${server.url}/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'a lighthouse at dusk', width: 768, height: 512 }),
      });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      await server.pipeline!.drain();
      const g = (await (
        await fetch(`${server.url}/generations/${id}`, { headers: { authorization: `Bearer ${admin}` } })
      ).json()) as {
        status: string;
        outputPath: string;
        thumbnailPath: string | null;
        outputs: { url: string; contentType: string; bytes: number; sha256: string }[];
      };
      expect(g.status).toBe('completed');
      expect(g.outputs).toHaveLength(1);
      const [output] = g.outputs;
      expect(output).toMatchObject({
        contentType: 'image/png',
        url: expect.stringMatching(
          `^${server.url}/outputs/generations/${id}/1/0-[0-9a-f]{32}\\.png\\?expires=\\d+&signature=`,
        ),
      });
      // The signed link needs no API key, and serves the very bytes the generation recorded.
      const served = await fetch(output!.url);
      expect(served.headers.get('content-type')).toBe('image/png');
      const bytes = Buffer.from(await served.arrayBuffer());
      expect(bytes.length).toBe(output!.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(output!.sha256);
      const stored = `0-${output!.sha256.slice(0, 32)}.png`;
      expect(bytes.equals(readFileSync(join(dataDir, 'outputs', 'generations', id, '1', stored)))).toBe(true);
      expect(pngSize(bytes)).toEqual({ width: 256, height: 171 });
      // Deprecated for one release: outputPath is the first output's link, no thumbnail.
      expect(g.outputPath).toBe(output!.url);
      expect(g.thumbnailPath).toBeNull();
      const tampered = output!.url.replace('/0-', '/1-');
      expect((await fetch(tampered)).status).toBe(403);
      const runs = (await (
        await fetch(`${server.url}/generations/${id}/runs`, { headers: { authorization: `Bearer ${admin}` } })
      ).json()) as {
        items: { status: string }[];
      };
      expect(runs.items.map((r) => r.status)).toEqual(['completed']);
    } finally {
      await server.close();
    }
  });

  it('retries a failing backend through the visibility timeout and dead-letters it after the last receive', async () => {
    const database = await dbs.open('postgres');
    const flaky = flakyGenerator(100);
    const dead: SQSEvent[] = [];
    const pipeline = startLocalPipeline({
      database,
      env: { LOG_LEVEL: 'silent' },
      generator: flaky.generator,
      visibilityTimeoutMs: 30,
      maxReceiveCount: 3,
      deadLetterHandler: async (e) => void dead.push(e),
    });
    try {
      const generations = new GenerationStore(database, new EventStore(database));
      const { generation } = await submitGeneration(
        { generations, queue: pipeline.queue, logger: silentLogger },
        { body: { prompt: 'never works' }, apiKeyId: null, idempotencyKey: null },
      );
      await pipeline.drain(10_000);
      expect(flaky.calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
      expect(dead).toHaveLength(1);
      expect(JSON.parse(dead[0]!.Records[0]!.body)).toMatchObject({ generationId: generation.id });
      expect(await generations.get(generation.id)).toMatchObject({ status: 'pending', attempts: 3 });
    } finally {
      await pipeline.stop();
    }
  });

  it('recovers work whose send failed: maintenance re-sends it and it completes', async () => {
    const database = await dbs.open('postgres');
    const pipeline = startLocalPipeline({
      database,
      env: { LOG_LEVEL: 'silent' },
      generator: flakyGenerator(0).generator,
    });
    try {
      const generations = new GenerationStore(database, new EventStore(database));
      const broken: Queue = { send: async () => Promise.reject(new Error('SQS unreachable')) };
      const { generation, enqueued } = await submitGeneration(
        { generations, queue: broken, logger: silentLogger },
        { body: { prompt: 'sent while the queue was down' }, apiKeyId: null, idempotencyKey: null },
      );
      expect(enqueued).toBe(false);
      // Younger than a minute: not yet re-sent.
      const first = await pipeline.runMaintenance();
      expect(first.resent).toBe(0);
      await database.db
        .update(database.tables.generations)
        .set({ createdAt: new Date(Date.now() - 120_000) });
      const summary = await pipeline.runMaintenance();
      expect(summary).toMatchObject({ resent: 1, resendFailed: 0, errors: [] });
      await pipeline.drain();
      expect((await generations.get(generation.id))?.status).toBe('completed');
      // Projections advance past what the worker wrote (read after it committed: an open
      // transaction holds the feed's visibility horizon back). The worker may finish before the
      // re-sending run reaches its projection step, so the runs together account for every event.
      const after = await pipeline.runMaintenance();
      expect(after.resent).toBe(0);
      const projected = [first, summary, after].reduce(
        (n, s) => n + s.projections.daily_generation_stats!,
        0,
      );
      expect(projected).toBe(await database.db.$count(database.tables.events));
    } finally {
      await pipeline.stop();
    }
  });
});
