import type { DomainEvent } from '@genledger/core/contracts/events';
import { cancelGeneration } from '@genledger/core/use-cases/cancel-generation';
import {
  EventStore,
  fromRow,
  GenerationStore,
  type NewEvent,
  rowsOf,
  START,
  type StoredEvent,
} from '@genledger/db';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ALL_TARGETS, useDatabases } from '../support/databases.ts';
import { cancelled, requested } from '../support/domain-events.ts';

const dbs = useDatabases();

async function collect(it: AsyncIterable<StoredEvent>) {
  const out: StoredEvent[] = [];
  for await (const e of it) out.push(e);
  return out;
}

describe.each(ALL_TARGETS)('event store contract on %s', (target) => {
  it('appends atomically and returns stored events with sequences and stream versions', async () => {
    const database = await dbs.open(target);
    const store = new EventStore(database);
    const id = crypto.randomUUID();
    const stored = await store.appendAll([
      { streamId: `generation-${id}`, event: requested(id), metadata: { requestId: 'r1' } },
      { streamId: `generation-${id}`, event: cancelled(id) },
    ]);
    expect(stored.map((e) => [e.type, e.streamVersion])).toEqual([
      ['GenerationRequested', 1],
      ['GenerationCancelled', 2],
    ]);
    expect(stored[1]!.sequence).toBeGreaterThan(stored[0]!.sequence);
    expect(stored[0]!.metadata).toEqual({ requestId: 'r1' });
    expect(stored[0]!.event).toEqual(requested(id));
    const stream = await store.readStream(`generation-${id}`);
    expect(stream.map((e) => e.sequence)).toEqual(stored.map((e) => e.sequence));
  });

  it('numbers an interleaved batch over new and existing streams in input order, and hands back the validated events', async () => {
    const database = await dbs.open(target);
    const store = new EventStore(database);
    const [a, b, c] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    await store.appendAll([
      { streamId: `generation-${a}`, event: requested(a) },
      { streamId: `generation-${a}`, event: cancelled(a) },
    ]);
    // A key the event union does not know: validation drops it, from what is stored and returned,
    // and the caller's object is left as it was.
    const withExtra = { ...requested(b), injected: '<script>' } as unknown as DomainEvent;
    const batch: NewEvent[] = [
      { streamId: `generation-${b}`, event: withExtra },
      { streamId: `generation-${a}`, event: cancelled(a) },
      { streamId: `generation-${c}`, event: requested(c) },
      { streamId: `generation-${b}`, event: cancelled(b) },
      { streamId: `generation-${a}`, event: cancelled(a) },
      { streamId: `generation-${c}`, event: cancelled(c) },
      { streamId: `generation-${b}`, event: cancelled(b) },
    ];
    const stored = await store.appendAll(batch);
    expect(stored.map((e) => [e.streamId, e.streamVersion])).toEqual(
      batch.map((e, i) => [e.streamId, [1, 3, 1, 2, 4, 2, 3][i]]),
    );
    for (let i = 1; i < stored.length; i++)
      expect(stored[i]!.sequence).toBeGreaterThan(stored[i - 1]!.sequence);
    expect(stored[0]!.event).toEqual(requested(b));
    expect((withExtra as unknown as { injected: string }).injected).toBe('<script>');
    const rows = await rowsOf<{ sequence: unknown; payload: Record<string, unknown> }>(
      database.db.execute(
        sql`select sequence, payload from ${database.tables.events} where stream_id = ${`generation-${b}`} order by stream_version`,
      ),
    );
    expect(rows.map((r) => Number(r.sequence))).toEqual(
      stored.filter((e) => e.streamId === `generation-${b}`).map((e) => e.sequence),
    );
    for (const r of rows) expect(Object.keys(r.payload)).not.toContain('type');
    expect(Object.keys(rows[0]!.payload)).not.toContain('injected');
    const read = await store.readStream(`generation-${b}`);
    expect(read.map((e) => e.event)).toEqual(
      stored.filter((e) => e.streamId === `generation-${b}`).map((e) => e.event),
    );
  });

  it('hands out events whose position and time read the same however they are read: property, destructuring, JSON', async () => {
    const database = await dbs.open(target);
    const store = new EventStore(database);
    const id = crypto.randomUUID();
    const before = Date.now();
    const [appended] = await store.appendAll([{ streamId: `generation-${id}`, event: requested(id) }]);
    const [read] = await store.readStream(`generation-${id}`);
    const fed = (await store.readAfter(START, 10_000)).find((e) => e.streamId === `generation-${id}`)!;
    for (const e of [appended!, read!, fed]) {
      expect(e.position.sequence).toBe(e.sequence);
      expect(e.position.txId).toMatch(/^[1-9][0-9]*$/);
      expect(e.position).toEqual(appended!.position);
      const { storedAt, position } = e;
      expect(storedAt).toBeInstanceOf(Date);
      expect(storedAt.getTime()).toBeGreaterThanOrEqual(before - 60_000);
      expect(storedAt.getTime()).toBe(appended!.storedAt.getTime());
      expect(position).toEqual({ txId: e.position.txId, sequence: e.sequence });
      // The store reads stored_at as epoch milliseconds (a float): the same instant as Postgres's own text.
      const [row] = await rowsOf<{ iso: string }>(
        database.db.execute(
          sql`select to_char(stored_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as iso
              from ${sql.raw(`"${database.schema}".events`)} where sequence = ${e.sequence}`,
        ),
      );
      expect(storedAt.toISOString()).toBe(row!.iso);
      // Serialised, it is the plain StoredEvent it always was.
      expect(JSON.parse(JSON.stringify(e))).toEqual({
        sequence: e.sequence,
        position: { txId: e.position.txId, sequence: e.sequence },
        streamId: `generation-${id}`,
        streamVersion: 1,
        type: 'GenerationRequested',
        version: 1,
        event: requested(id),
        metadata: {},
        storedAt: storedAt.toISOString(),
      });
    }
  });

  it('reads stored_at to the millisecond Postgres holds, at the edges of a millisecond and of the calendar', async () => {
    const database = await dbs.open(target);
    const store = new EventStore(database);
    const id = crypto.randomUUID();
    const [appended] = await store.appendAll([{ streamId: `generation-${id}`, event: requested(id) }]);
    const events = sql.raw(`"${database.schema}".events`);
    for (const [stored, iso] of [
      ['2026-12-04 08:00:00.124000+00', '2026-12-04T08:00:00.124Z'],
      ['2026-12-04 08:00:00.123999+00', '2026-12-04T08:00:00.123Z'],
      ['2026-12-04 08:00:00.999999+00', '2026-12-04T08:00:00.999Z'],
      ['1970-01-01 00:00:00.000000+00', '1970-01-01T00:00:00.000Z'],
      ['1970-01-01 00:00:00.000001+00', '1970-01-01T00:00:00.000Z'],
      ['2037-12-31 23:59:59.999999+00', '2037-12-31T23:59:59.999Z'],
      ['2038-01-01 00:00:00.000999+00', '2038-01-01T00:00:00.000Z'],
      ['2041-05-06 12:34:56.789999+00', '2041-05-06T12:34:56.789Z'],
      ['1969-12-31 23:59:59.999500+00', '1969-12-31T23:59:59.999Z'],
      ['0001-01-01 00:00:00.001000+00', '0001-01-01T00:00:00.001Z'],
      ['9999-12-31 23:59:59.999999+00', '9999-12-31T23:59:59.999Z'],
    ] as const) {
      await database.db.execute(
        sql`update ${events} set stored_at = ${stored}::timestamptz where sequence = ${appended!.sequence}`,
      );
      const [read] = await store.readStream(`generation-${id}`);
      expect(read!.storedAt.toISOString()).toBe(iso);
    }
  });

  it('refuses an invalid payload before writing anything, even when other events in the batch are fine', async () => {
    const database = await dbs.open(target);
    const store = new EventStore(database);
    const id = crypto.randomUUID();
    const bad = { type: 'GenerationCompleted', generationId: id } as unknown as DomainEvent;
    await expect(
      store.appendAll([
        { streamId: `generation-${id}`, event: requested(id) },
        { streamId: `generation-${id}`, event: bad },
      ]),
    ).rejects.toMatchObject({ kind: 'validation' });
    await expect(
      store.appendAll([{ streamId: 's', event: { type: 'Nope' } as unknown as DomainEvent }]),
    ).rejects.toMatchObject({
      kind: 'validation',
    });
    expect(await collect(store.replayAll())).toEqual([]);
  });

  it('detects a stale expected version as a conflict, never a fork', async () => {
    const database = await dbs.open(target);
    const store = new EventStore(database);
    const id = crypto.randomUUID();
    const stream = `generation-${id}`;
    await store.appendAll([{ streamId: stream, event: requested(id) }], { expectedVersion: 0 });
    await expect(
      store.appendAll([{ streamId: stream, event: cancelled(id) }], { expectedVersion: 0 }),
    ).rejects.toMatchObject({
      kind: 'conflict',
    });
    await store.appendAll([{ streamId: stream, event: cancelled(id) }], { expectedVersion: 1 });
    expect((await store.readStream(stream)).map((e) => e.streamVersion)).toEqual([1, 2]);
  });

  it('lets concurrent writers race on one stream: exactly one wins each expected version', async () => {
    const database = await dbs.open(target);
    const store = new EventStore(database);
    const id = crypto.randomUUID();
    const stream = `generation-${id}`;
    await store.appendAll([{ streamId: stream, event: requested(id) }]);
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, () =>
        store.appendAll([{ streamId: stream, event: cancelled(id) }], { expectedVersion: 1 }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ kind: 'conflict' });
    // Without an expected version every writer lands, each on its own version.
    await Promise.all(
      Array.from({ length: 6 }, () => store.appendAll([{ streamId: stream, event: cancelled(id) }])),
    );
    expect((await store.readStream(stream)).map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('replays everything in pages, and from a checkpoint or a sequence number', async () => {
    const database = await dbs.open(target);
    const store = new EventStore(database);
    const batch: NewEvent[] = [];
    for (let i = 0; i < 45; i++) {
      const id = crypto.randomUUID();
      batch.push({ streamId: `generation-${id}`, event: requested(id, `prompt ${i}`) });
    }
    await store.appendAll(batch.slice(0, 20));
    await store.appendAll(batch.slice(20));
    const all = await collect(store.replayAll(7));
    expect(all).toHaveLength(45);
    expect(all.map((e) => (e.event as { request: { prompt: string } }).request.prompt)).toEqual(
      batch.map((_, i) => `prompt ${i}`),
    );
    const after = await collect(store.replayFrom(all[29]!.position, 4));
    expect(after.map((e) => e.sequence)).toEqual(all.slice(30).map((e) => e.sequence));
    const bySequence = await collect(store.replayFrom(all[29]!.sequence));
    expect(bySequence.map((e) => e.sequence)).toEqual(all.slice(30).map((e) => e.sequence));
    expect(await collect(store.replayFrom(START))).toHaveLength(45);
    // Pages that divide the log exactly end on an empty read, not a repeat.
    expect((await collect(store.replayAll(9))).map((e) => e.sequence)).toEqual(all.map((e) => e.sequence));
  });

  it('upcasts old payload versions on read', async () => {
    const database = await dbs.open(target);
    const id = crypto.randomUUID();
    // Written by a release whose GenerationCancelled carried `reason` and no model.
    await database.db.execute(
      sql.raw(
        `insert into "${database.schema}".events (stream_id, stream_version, event_type, event_version, payload)
         values ('generation-${id}', 1, 'GenerationCancelled', 1, '{"generationId":"${id}","reason":"user"}')`,
      ),
    );
    const store = new EventStore(database, {
      versions: { GenerationCancelled: 2 },
      upcasters: { GenerationCancelled: { 1: ({ reason: _r, ...rest }) => ({ ...rest, model: 'unknown' }) } },
    });
    const [e] = await store.readStream(`generation-${id}`);
    expect(e!.version).toBe(1);
    expect(e!.event).toEqual({ type: 'GenerationCancelled', generationId: id, model: 'unknown' });
  });

  it('writes events joined to a store statement through the same path: validated, versioned, numbered from the head', async () => {
    const database = await dbs.open(target);
    // A release that bumped GenerationCancelled to v2: stores must write v2 without being told.
    const events = new EventStore(database, { versions: { GenerationCancelled: 2 } });
    const generations = new GenerationStore(database, events);
    const id = crypto.randomUUID();
    await generations.create({
      id,
      apiKeyId: null,
      request: {
        prompt: 'a quiet harbour',
        name: '',
        model: 'flux',
        width: 512,
        height: 512,
        steps: 20,
        guidance: 7.5,
      },
      idempotencyKey: null,
      requestHash: 'h',
      source: 'http',
      enqueued: false,
    });
    await cancelGeneration({ generations }, { id, owner: { admin: true }, metadata: { requestId: 'r9' } });
    const stream = await events.readStream(`generation-${id}`);
    expect(stream.map((e) => [e.type, e.streamVersion, e.version])).toEqual([
      ['GenerationRequested', 1, 1],
      ['GenerationCancelled', 2, 2],
    ]);
    // The model came from the generation's row, not from the caller.
    expect(stream[1]!.event).toEqual({
      type: 'GenerationCancelled',
      generationId: id,
      model: 'flux',
      attempt: null,
    });
    expect(stream[1]!.metadata).toEqual({ requestId: 'r9' });

    // What the caller supplies is validated before the statement exists.
    expect(() =>
      events.appendForEach('g', {
        stream: `generation-${id}`,
        event: { type: 'GenerationCancelled', generationId: 'not-a-uuid', model: fromRow('g.model') },
      }),
    ).toThrow(expect.objectContaining({ kind: 'validation' }));
    expect(() =>
      events.appendForEach('g', {
        stream: `generation-${id}`,
        event: { type: 'GenerationCancelled', generationId: id, nope: fromRow('g.model') } as never,
      }),
    ).toThrow(expect.objectContaining({ kind: 'validation' }));
  });
});

describe('event store feed on a real server', () => {
  it('never skips an event committed late: a slow transaction that began first commits last', async () => {
    const database = await dbs.open('postgres');
    const store = new EventStore(database);
    const seen: StoredEvent[] = [];
    let position = START;
    const poll = async () => {
      const page = await store.readAfter(position, 100);
      for (const e of page) {
        seen.push(e);
        position = e.position;
      }
    };

    let releaseSlow!: () => void;
    const slowMayCommit = new Promise<void>((r) => (releaseSlow = r));
    let slowWrote!: () => void;
    const slowHasWritten = new Promise<void>((r) => (slowWrote = r));
    const slowId = crypto.randomUUID();
    // Takes a sequence first, then waits before committing.
    const slow = database.db.transaction(async (tx) => {
      await store.appendAll([{ streamId: `generation-${slowId}`, event: requested(slowId, 'slow') }], { tx });
      slowWrote();
      await slowMayCommit;
    });
    await slowHasWritten;

    const fastIds = Array.from({ length: 5 }, () => crypto.randomUUID());
    for (const id of fastIds)
      await store.appendAll([{ streamId: `generation-${id}`, event: requested(id, 'fast') }]);
    await poll();
    // The fast events have larger sequences and are committed, but the reader holds them back
    // while the slow transaction could still commit behind them.
    expect(seen).toHaveLength(0);

    releaseSlow();
    await slow;
    await poll();
    await poll();
    expect(seen).toHaveLength(6);
    expect(new Set(seen.map((e) => e.sequence)).size).toBe(6);
    const slowEvent = seen.find((e) => (e.event as { generationId: string }).generationId === slowId)!;
    expect(slowEvent.sequence).toBeLessThan(
      Math.min(...seen.filter((e) => e !== slowEvent).map((e) => e.sequence)),
    );
  });

  it('a tailing reader under concurrent writers sees every event exactly once', async () => {
    const database = await dbs.open('postgres');
    const store = new EventStore(database);
    const writers = 6;
    const perWriter = 40;
    let done = false;
    const seen = new Map<number, number>();
    const reader = (async () => {
      let position = START;
      for (;;) {
        const finished = done;
        const page = await store.readAfter(position, 50);
        for (const e of page) {
          seen.set(e.sequence, (seen.get(e.sequence) ?? 0) + 1);
          position = e.position;
        }
        if (finished && page.length === 0) return;
        if (page.length === 0) await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await Promise.all(
      Array.from({ length: writers }, async () => {
        for (let i = 0; i < perWriter; i++) {
          const id = crypto.randomUUID();
          await database.db.transaction(async (tx) => {
            await store.appendAll([{ streamId: `generation-${id}`, event: requested(id) }], { tx });
            // Hold some transactions open so commits interleave out of sequence order.
            if (i % 3 === 0) await new Promise((r) => setTimeout(r, Math.random() * 8));
          });
        }
      }),
    );
    done = true;
    await reader;
    expect(seen.size).toBe(writers * perWriter);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });
});
