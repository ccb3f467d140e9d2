import type { DomainEvent } from '@genledger/core/contracts/events';
import { dailyGenerationStats, EventStore, type Projection, ProjectionRunner, rowsOf } from '@genledger/db';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';

const dbs = useDatabases();

/** Generation events only, so every event read adds one to some row's count. */
function generations(n: number): { streamId: string; event: DomainEvent }[] {
  const out: { streamId: string; event: DomainEvent }[] = [];
  for (let i = 0; i < n; i++) {
    const generationId = crypto.randomUUID();
    const streamId = `generation-${generationId}`;
    const model = ['sdxl', 'flux', 'sd3'][i % 3]!;
    out.push({
      streamId,
      event: {
        type: 'GenerationRequested',
        generationId,
        apiKeyId: null,
        source: 'queue',
        request: { prompt: 'p', name: '', model, width: 512, height: 512, steps: 20, guidance: 7.5 },
      },
    });
    if (i % 4 === 3) out.push({ streamId, event: { type: 'GenerationCancelled', generationId, model } });
    else
      out.push({
        streamId,
        event: {
          type: 'GenerationCompleted',
          generationId,
          model,
          attempt: 1,
          outputPath: 'o.png',
          thumbnailPath: null,
          durationMs: 100 * (i + 1),
        },
      });
  }
  return out;
}

/** The projection with its SQL fold counted, and made to fail (a real failing statement) on one call. */
function counted(stats: ReturnType<typeof dailyGenerationStats>, failOnCall?: number) {
  const fold = stats.foldInDatabase!;
  const counter = { calls: 0 };
  const projection: Projection = {
    ...stats,
    foldInDatabase: {
      versions: fold.versions,
      async apply(tx, feed) {
        counter.calls++;
        if (counter.calls === failOnCall) await tx.execute(sql`select 1 / 0`);
        return fold.apply(tx, feed);
      },
    },
  };
  return { projection, counter };
}

async function checkpointNames(database: Awaited<ReturnType<typeof dbs.open>>) {
  const rows = await rowsOf<{ name: string }>(
    database.db.execute(sql.raw(`select name from "${database.schema}".checkpoints order by name`)),
  );
  return rows.map((r) => r.name);
}

describe.each(['pglite', 'postgres'] as const)('chunked projection rebuild on %s', (target) => {
  it('folds in several statements, one per chunk, to what applying the events gives', async () => {
    const database = await dbs.open(target);
    const events = new EventStore(database);
    const stats = dailyGenerationStats(database.schema);
    await events.appendAll(generations(6));
    await events.appendAll(generations(5));
    const total = 22;
    const applied = new ProjectionRunner(database, events, { batchSize: 5 });
    expect((await applied.catchUp(stats)).processed).toBe(total);
    const expected = await stats.read(database.db);

    const { projection, counter } = counted(stats);
    const chunked = new ProjectionRunner(database, events, { rebuildChunk: 5 });
    const rebuilt = await chunked.rebuild(projection);
    expect(rebuilt.processed).toBe(total);
    expect(counter.calls).toBe(Math.ceil(total / 5));
    expect(await stats.read(database.db)).toEqual(expected);
    expect(rebuilt.position).toEqual(await events.visibleHead());
    expect(await checkpointNames(database)).toEqual([stats.name]);
    // Caught up where the last chunk stopped: nothing is applied twice.
    expect((await applied.catchUp(stats)).processed).toBe(0);

    // A chunk as large as the feed is one statement.
    const whole = counted(stats);
    await new ProjectionRunner(database, events, { rebuildChunk: total }).rebuild(whole.projection);
    expect(whole.counter.calls).toBe(1);
    expect(await stats.read(database.db)).toEqual(expected);
  });

  it('an interrupted rebuild leaves whole chunks only and resumes from its last chunk', async () => {
    const database = await dbs.open(target);
    const events = new EventStore(database);
    const stats = dailyGenerationStats(database.schema);
    await events.appendAll(generations(10));
    const total = 20;
    await new ProjectionRunner(database, events, { batchSize: 7 }).catchUp(stats);
    const expected = await stats.read(database.db);

    const runner = new ProjectionRunner(database, events, { rebuildChunk: 4 });
    const failing = counted(stats, 3);
    await expect(runner.rebuild(failing.projection)).rejects.toThrow();
    // Chunks 1 and 2 committed with their checkpoint; chunk 3 left nothing.
    const partial = await stats.read(database.db);
    expect(partial.reduce((n, r) => n + r.count, 0)).toBe(8);
    const eighth = (await events.readAfter({ txId: '0', sequence: 0 }, 8)).at(-1)!.position;
    expect(await runner.checkpoint(stats.name)).toEqual(eighth);
    expect(await checkpointNames(database)).toEqual([stats.name, `rebuild:${stats.name}`]);

    const resumed = counted(stats);
    const rebuilt = await runner.rebuild(resumed.projection);
    expect(rebuilt.processed).toBe(total - 8);
    expect(resumed.counter.calls).toBe(3);
    expect(await stats.read(database.db)).toEqual(expected);
    expect(await checkpointNames(database)).toEqual([stats.name]);
  });

  it('a tick between chunks applies from the checkpoint, and the rebuild ends where the feed was', async () => {
    const database = await dbs.open(target);
    const events = new EventStore(database);
    const stats = dailyGenerationStats(database.schema);
    await events.appendAll(generations(10));
    const head = await events.visibleHead();
    const runner = new ProjectionRunner(database, events, { batchSize: 3, rebuildChunk: 4 });
    await expect(runner.rebuild(counted(stats, 2).projection)).rejects.toThrow();
    expect((await runner.runOnce(stats)).processed).toBe(3);
    await events.appendAll(generations(2));
    const rebuilt = await runner.rebuild(stats);
    // 20 events when it started: 4 in its first chunk, 3 by the tick, the rest now.
    expect(rebuilt.processed).toBe(13);
    expect(rebuilt.position).toEqual(head);
    expect((await runner.catchUp(stats)).processed).toBe(4);
    const rows = await stats.read(database.db);
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(24);
  });

  it('ticks finish an interrupted rebuild event by event; the next rebuild only clears its marker', async () => {
    const database = await dbs.open(target);
    const events = new EventStore(database);
    const stats = dailyGenerationStats(database.schema);
    await events.appendAll(generations(6));
    const runner = new ProjectionRunner(database, events, { batchSize: 5, rebuildChunk: 4 });
    await runner.catchUp(stats);
    const expected = await stats.read(database.db);
    await expect(runner.rebuild(counted(stats, 2).projection)).rejects.toThrow();
    expect((await runner.catchUp(stats)).processed).toBe(12 - 4);
    expect(await stats.read(database.db)).toEqual(expected);
    const rebuilt = await runner.rebuild(stats);
    expect(rebuilt.processed).toBe(0);
    expect(await stats.read(database.db)).toEqual(expected);
    expect(await checkpointNames(database)).toEqual([stats.name]);
  });
});
