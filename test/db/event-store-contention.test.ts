import { EventStore } from '@genledger/db';
import { describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';
import { cancelled } from '../support/domain-events.ts';

const dbs = useDatabases();

describe('event store appends under contention', () => {
  it('8 concurrent writers × 200 appends on one stream: none fails, versions are gapless', async () => {
    const database = await dbs.open('postgres', { pool: { max: 8 } });
    const store = new EventStore(database);
    const id = crypto.randomUUID();
    const stream = `generation-${id}`;
    const outcomes = await Promise.all(
      Array.from({ length: 8 }, async (_, writer) => {
        const versions: number[] = [];
        let failures = 0;
        for (let i = 0; i < 200; i++) {
          try {
            const [e] = await store.appendAll([
              { streamId: stream, event: cancelled(id), metadata: { writer, i } },
            ]);
            versions.push(e!.streamVersion);
          } catch {
            failures++;
          }
        }
        return { versions, failures };
      }),
    );
    expect(outcomes.map((o) => o.failures)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    const stored = await store.readStream(stream);
    expect(stored.map((e) => e.streamVersion)).toEqual(Array.from({ length: 1600 }, (_, i) => i + 1));
    // Every writer saw its own appends land in order, each on a version no one else got.
    const returned = outcomes.flatMap((o) => o.versions);
    expect(new Set(returned).size).toBe(1600);
    for (const o of outcomes) expect(o.versions).toEqual([...o.versions].sort((a, b) => a - b));
  });

  it('with an expected version a lost race is still a conflict, and the winner is exactly one', async () => {
    const database = await dbs.open('postgres', { pool: { max: 8 } });
    const store = new EventStore(database);
    const id = crypto.randomUUID();
    const stream = `generation-${id}`;
    for (let round = 0; round < 20; round++) {
      const results = await Promise.allSettled(
        Array.from({ length: 6 }, () =>
          store.appendAll([{ streamId: stream, event: cancelled(id) }], { expectedVersion: round }),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results)
        if (r.status === 'rejected') expect(r.reason).toMatchObject({ kind: 'conflict' });
    }
    expect((await store.readStream(stream)).map((e) => e.streamVersion)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
  });

  it('appends inside callers’ transactions queue behind each other instead of failing', async () => {
    const database = await dbs.open('postgres', { pool: { max: 8 } });
    const store = new EventStore(database);
    const id = crypto.randomUUID();
    const stream = `generation-${id}`;
    await Promise.all(
      Array.from({ length: 6 }, () =>
        database.db.transaction(async (tx) => {
          await store.appendAll([{ streamId: stream, event: cancelled(id) }], { tx });
          // Held open after the append: the next writer must wait for this commit, not collide.
          await new Promise((r) => setTimeout(r, 20));
          await store.appendAll([{ streamId: stream, event: cancelled(id) }], { tx });
        }),
      ),
    );
    expect((await store.readStream(stream)).map((e) => e.streamVersion)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
  });

  it('batches over the same streams in opposite orders never deadlock', async () => {
    // A deadlock is Postgres' 40P01 after deadlock_timeout (1 s), whatever lock_timeout says; the
    // service's 2 s lock_timeout is raised here only so that a machine loaded by other suites
    // (a lock holder descheduled for seconds) cannot fail this test for a reason it does not test.
    const database = await dbs.open('postgres', { pool: { max: 8, lockTimeoutMs: 30_000 } });
    const store = new EventStore(database);
    const ids = Array.from({ length: 4 }, () => crypto.randomUUID());
    const streams = ids.map((i) => `generation-${i}`);
    await Promise.all(
      Array.from({ length: 6 }, async (_, writer) => {
        const order = writer % 2 === 0 ? [...streams] : [...streams].reverse();
        for (let i = 0; i < 40; i++) {
          await store.appendAll(
            order.map((s, k) => ({
              streamId: s,
              event: cancelled(ids[streams.indexOf(s)]!),
              metadata: { k },
            })),
          );
        }
      }),
    );
    for (const s of streams) {
      expect((await store.readStream(s)).map((e) => e.streamVersion)).toEqual(
        Array.from({ length: 240 }, (_, i) => i + 1),
      );
    }
  });
});
