import { dailyGenerationStats, EventStore, ProjectionRunner, type StoredEvent } from '@genledger/db';
import { maintenanceDeps } from '@genledger/wiring/maintenance';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';
import { completed, requested } from '../support/domain-events.ts';

const dbs = useDatabases();

async function collect(it: AsyncIterable<StoredEvent>) {
  const out: StoredEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe.each(['postgres', 'pglite'] as const)('event archive on %s', (target) => {
  it('moves every event behind the checkpoints, heads included; reads, replays, appends and rebuilds see everything', async () => {
    const database = await dbs.open(target);
    const store = new EventStore(database);
    const runner = new ProjectionRunner(database, store, { batchSize: 7 });
    const stats = dailyGenerationStats(database.schema);
    const ids = Array.from({ length: 6 }, () => crypto.randomUUID());
    for (const [i, id] of ids.entries()) {
      await store.appendAll([
        { streamId: `generation-${id}`, event: requested(id) },
        { streamId: `generation-${id}`, event: completed(id, 100 * (i + 1)) },
      ]);
    }
    await runner.catchUp(stats);
    const everything = await collect(store.replayAll(5));

    // Written after the checkpoint: must stay in `events` even though old enough.
    const late = crypto.randomUUID();
    await store.appendAll([{ streamId: `generation-${late}`, event: requested(late) }]);
    await store.appendAll([{ streamId: `generation-${late}`, event: completed(late, 5) }]);

    const { moved } = await store.archive({ olderThan: new Date(Date.now() + 60_000), chunk: 4 });
    // Both events of every checkpointed stream; only the late stream stays.
    expect(moved).toBe(12);
    const hot = await database.db.$count(database.tables.events);
    expect(hot).toBe(2);

    for (const [i, id] of ids.entries()) {
      const stream = await store.readStream(`generation-${id}`);
      expect(stream.map((e) => [e.streamVersion, e.type])).toEqual([
        [1, 'GenerationRequested'],
        [2, 'GenerationCompleted'],
      ]);
      expect((stream[1]!.event as { durationMs: number }).durationMs).toBe(100 * (i + 1));
    }
    // Appends to a stream whose head is archived continue from it, on every path: the optimistic
    // statement, the serialising one (inside a caller's transaction, migration 0006) and with an
    // expected version. Never a second version 1.
    const [next] = await store.appendAll([
      { streamId: `generation-${ids[0]}`, event: completed(ids[0]!, 1) },
    ]);
    expect(next!.streamVersion).toBe(3);
    const [serialised] = await database.db.transaction((tx) =>
      store.appendAll([{ streamId: `generation-${ids[1]}`, event: completed(ids[1]!, 1) }], { tx }),
    );
    expect(serialised!.streamVersion).toBe(3);
    await expect(
      store.appendAll([{ streamId: `generation-${ids[2]}`, event: completed(ids[2]!, 1) }], {
        expectedVersion: 1,
      }),
    ).rejects.toMatchObject({ kind: 'conflict' });
    const [expected] = await store.appendAll(
      [{ streamId: `generation-${ids[2]}`, event: completed(ids[2]!, 1) }],
      { expectedVersion: 2 },
    );
    expect(expected!.streamVersion).toBe(3);

    // A replay from the start reads both tables in feed order.
    const replayed = await collect(store.replayAll(3));
    expect(replayed.slice(0, everything.length).map((e) => e.sequence)).toEqual(
      everything.map((e) => e.sequence),
    );
    expect(replayed).toHaveLength(everything.length + 5);

    // A rebuild from zero over the archive gives the model the live projection had, plus the rest.
    await runner.rebuild(stats);
    const rebuilt = await store.readAfter({ txId: '0', sequence: 0 }, 1000);
    expect(rebuilt).toHaveLength(everything.length + 5);
    const statsAfter = await database.db.execute(
      sql.raw(
        `select sum(count)::int as n from "${database.schema}".daily_generation_stats where status = 'completed'`,
      ),
    );
    expect((statsAfter as unknown as { rows: { n: number }[] }).rows[0]!.n).toBe(10);

    // Nothing moves that is newer than `olderThan`.
    expect((await store.archive({ olderThan: new Date(0) })).moved).toBe(0);
  });

  it('numbers from the greater head when an old head stayed in events and later versions were archived', async () => {
    // The layout an archive before migration 0006 can leave: it kept each head, so a stream's
    // version 2 may sit in `events` below the archive's highest sequence while version 3,
    // appended later, has since been archived.
    const database = await dbs.open(target);
    const store = new EventStore(database);
    const id = crypto.randomUUID();
    const stream = `generation-${id}`;
    await store.appendAll([{ streamId: stream, event: requested(id) }]);
    await store.appendAll([{ streamId: stream, event: completed(id, 1) }]);
    await store.appendAll([{ streamId: stream, event: completed(id, 2) }]);
    const s = database.schema;
    await database.db.execute(
      sql.raw(`with m as (delete from "${s}".events where stream_id = '${stream}' and stream_version in (1, 3) returning *)
               insert into "${s}".events_archive select * from m`),
    );
    const [optimistic] = await store.appendAll([{ streamId: stream, event: completed(id, 3) }]);
    expect(optimistic!.streamVersion).toBe(4);
    await database.db.execute(
      sql.raw(`with m as (delete from "${s}".events where stream_id = '${stream}' and stream_version = 4 returning *)
               insert into "${s}".events_archive select * from m`),
    );
    const [serialised] = await database.db.transaction((tx) =>
      store.appendAll([{ streamId: stream, event: completed(id, 4) }], { tx }),
    );
    expect(serialised!.streamVersion).toBe(5);
    expect((await store.readStream(stream)).map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5]);
    // The feed interleaves the version left in `events` with the archived ones, at any page size:
    // a page the archive fills bounds what it reads of `events`, and must not skip what lies below.
    for (const pageSize of [1, 2, 3, 100]) {
      const replayed = (await collect(store.replayAll(pageSize))).filter((e) => e.streamId === stream);
      expect(replayed.map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5]);
    }
  });
});

describe('event archive in the scheduled maintenance', () => {
  it('moves events older than EVENT_ARCHIVE_AFTER_DAYS (default 30), and none when set to 0', async () => {
    const database = await dbs.open('postgres');
    const store = new EventStore(database);
    const ids = Array.from({ length: 3 }, () => crypto.randomUUID());
    for (const id of ids) {
      await store.appendAll([
        { streamId: `generation-${id}`, event: requested(id) },
        { streamId: `generation-${id}`, event: completed(id, 10) },
      ]);
    }
    await database.db.execute(
      sql.raw(`update "${database.schema}".events set stored_at = now() - interval '40 days'`),
    );
    const step = (env: Record<string, string>) =>
      maintenanceDeps(database, { queue: undefined, env }).steps!.find((s) => s.name === 'event-archive');
    expect(step({ EVENT_ARCHIVE_AFTER_DAYS: '0' })).toBeUndefined();
    expect(await step({ EVENT_ARCHIVE_AFTER_DAYS: '60' })!.run()).toMatchObject({ days: 60, moved: 0 });
    expect(await step({})!.run()).toMatchObject({ days: 30, moved: 6 });
    expect(await database.db.$count(database.tables.events)).toBe(0);
    for (const id of ids) expect(await store.readStream(`generation-${id}`)).toHaveLength(2);
  });

  it('spends at most EVENT_ARCHIVE_RUN_CHUNKS statements of EVENT_ARCHIVE_BATCH events a run (defaults 10 and 10,000), and refuses a bad value', async () => {
    const database = await dbs.open('postgres');
    // Old events written straight to the table, 10,005 at a time (the archive moves 10,000 a statement).
    const insertOld = () =>
      database.db.execute(
        sql.raw(`insert into "${database.schema}".events (stream_id, stream_version, event_type, event_version, payload, metadata, stored_at)
                 select 'generation-' || gen_random_uuid(), 1, 'GenerationRequested', 1, '{}', '{}', now() - interval '40 days'
                 from generate_series(1, 10005)`),
      );
    await insertOld();
    const step = (env: Record<string, string>) =>
      maintenanceDeps(database, { queue: undefined, env }).steps!.find((s) => s.name === 'event-archive')!;
    expect(await step({ EVENT_ARCHIVE_RUN_CHUNKS: '1' }).run()).toMatchObject({ moved: 10_000 });
    expect(await step({ EVENT_ARCHIVE_RUN_CHUNKS: '1' }).run()).toMatchObject({ moved: 5 });
    await insertOld();
    expect(await step({}).run()).toMatchObject({ moved: 10_005 });
    expect(() => step({ EVENT_ARCHIVE_RUN_CHUNKS: '0' })).toThrow(/EVENT_ARCHIVE_RUN_CHUNKS/);
    // The statement's size is a setting too.
    await insertOld();
    expect(await step({ EVENT_ARCHIVE_RUN_CHUNKS: '2', EVENT_ARCHIVE_BATCH: '4000' }).run()).toMatchObject({
      moved: 8_000,
    });
    expect(() => step({ EVENT_ARCHIVE_BATCH: '10' })).toThrow(/EVENT_ARCHIVE_BATCH/);
  });
});
