import { dailyGenerationStats, EventStore, ProjectionRunner } from '@genledger/db';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';
import { completed, requested } from '../support/domain-events.ts';

const dbs = useDatabases();

describe.each(['postgres', 'pglite'] as const)('event archive runs on %s', (target) => {
  it('read a bounded window after the archive’s last event, stop at a young one, and archive in sequence order', async () => {
    const database = await dbs.open(target);
    const store = new EventStore(database);
    const s = database.schema;
    const ids = Array.from({ length: 6 }, () => crypto.randomUUID());
    // Sequences 2i-1 (requested) and 2i (completed, the head) for stream i.
    for (const id of ids) {
      await store.appendAll([
        { streamId: `generation-${id}`, event: requested(id) },
        { streamId: `generation-${id}`, event: completed(id) },
      ]);
    }
    await new ProjectionRunner(database, store, { batchSize: 100 }).catchUp(dailyGenerationStats(s));
    await database.db.execute(sql.raw(`update "${s}".events set stored_at = now() - interval '40 days'`));
    const olderThan = new Date(Date.now() - 30 * 86_400_000);
    const sequences = async (query: string) =>
      ((await database.db.execute(sql.raw(query))) as unknown as { rows: { sequence: unknown }[] }).rows.map(
        (r) => Number(r.sequence),
      );

    // One statement of 4 reads events 1–4 and moves them, heads included; the next run continues
    // after the archive's last one (4), not from the start.
    expect((await store.archive({ olderThan, chunk: 4, maxChunks: 1 })).moved).toBe(4);
    expect((await store.archive({ olderThan, chunk: 4, maxChunks: 1 })).moved).toBe(4);
    expect(await sequences(`select sequence from "${s}".events_archive order by ctid`)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8,
    ]);

    // A young stream stops the run: what follows it waits for a later run, however old.
    await database.db.execute(
      sql.raw(`update "${s}".events set stored_at = now() where stream_id = 'generation-${ids[4]}'`),
    );
    expect((await store.archive({ olderThan, chunk: 2, maxChunks: 10 })).moved).toBe(0);
    expect(await sequences(`select sequence from "${s}".events order by sequence`)).toEqual([9, 10, 11, 12]);

    // Once it is old too, the run moves the rest: `events` is empty, every stream reads whole.
    await database.db.execute(sql.raw(`update "${s}".events set stored_at = now() - interval '40 days'`));
    expect((await store.archive({ olderThan, chunk: 2, maxChunks: 10 })).moved).toBe(4);
    expect(await sequences(`select sequence from "${s}".events order by sequence`)).toEqual([]);
    expect(await sequences(`select sequence from "${s}".events_archive order by ctid`)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
    ]);
    for (const id of ids) {
      expect((await store.readStream(`generation-${id}`)).map((e) => e.streamVersion)).toEqual([1, 2]);
    }
  });
});
