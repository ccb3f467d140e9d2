import type { EventEmitter } from 'node:events';
import { type Database, EventStore, START, type StoredEvent } from '@genledger/db';
import { pgError } from '@genledger/db/pg-errors';
import { tablesFor } from '@genledger/db/schema/tables';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { EventRow } from '../../packages/db/src/event-store/event-row.ts';
import { feedRows } from '../../packages/db/src/event-store/read-feed.ts';
import { type FeedPages, replayFrom } from '../../packages/db/src/event-store/replay.ts';
import { EventDecoder } from '../../packages/db/src/event-store/upcasting.ts';
import { ALL_TARGETS, useDatabases } from '../support/databases.ts';
import { requested } from '../support/domain-events.ts';

const dbs = useDatabases();

async function withEvents(database: Database, count: number): Promise<StoredEvent[]> {
  const store = new EventStore(database);
  const ids = Array.from({ length: count }, () => crypto.randomUUID());
  return store.appendAll(ids.map((id) => ({ streamId: `generation-${id}`, event: requested(id) })));
}

/**
 * The store's own feed reads over a real database, each one counted, and the `held`-th one held
 * back until `release()`: a test decides what the database is like when that read runs.
 */
function heldFeed(database: Database, held: number) {
  const tables = tablesFor(database.schema);
  const t = { events: tables.events, archive: tables.eventsArchive };
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const state = { reads: 0, heldSettled: false, release };
  const feed: FeedPages = {
    feedRows: async (after, limit): Promise<EventRow[]> => {
      const n = ++state.reads;
      if (n !== held) return feedRows(database.db, t, after, limit);
      await gate;
      try {
        return await feedRows(database.db, t, after, limit);
      } finally {
        state.heldSettled = true;
      }
    },
    positionOf: () => Promise.resolve(START),
  };
  return { feed, state };
}

/** Makes every later read of the feed fail in the database itself: its table is gone. */
const dropEvents = (database: Database) =>
  database.db.execute(sql.raw(`alter table "${database.schema}".events rename to events_gone`));

describe.each(ALL_TARGETS)('replay reading a page ahead on %s', (target) => {
  it('sends the next page read as a full page arrives, and reads no further than the last page', async () => {
    const database = await dbs.open(target);
    const stored = await withEvents(database, 5);
    const { feed, state } = heldFeed(database, 0);
    const it = replayFrom(feed, new EventDecoder(), START, 2);
    const first = await it.next();
    expect(first.value?.sequence).toBe(stored[0]!.sequence);
    // Page 1 arrived full: page 2 is already asked for while page 1 is handed out.
    expect(state.reads).toBe(2);
    const rest: number[] = [];
    for await (const e of it) rest.push(e.sequence);
    expect(rest).toEqual(stored.slice(1).map((e) => e.sequence));
    // 2 + 2 + 1: the short page is the last one, nothing is read after it.
    expect(state.reads).toBe(3);
  });

  it('hands out the page before a failed read in full, then fails the next() that would return the failed page', async () => {
    const database = await dbs.open(target);
    const stored = await withEvents(database, 5);
    const { feed, state } = heldFeed(database, 2);
    const it = replayFrom(feed, new EventDecoder(), START, 2);
    expect((await it.next()).value?.sequence).toBe(stored[0]!.sequence);
    await dropEvents(database);
    state.release();
    // The read ahead fails while page 1 is still being handed out; page 1 is unaffected.
    await expect.poll(() => state.heldSettled).toBe(true);
    expect((await it.next()).value?.sequence).toBe(stored[1]!.sequence);
    const failure = await it.next().then(
      () => undefined,
      (e: unknown) => e,
    );
    // undefined_table: the database's own error for the read sent ahead.
    expect(pgError(failure)?.code).toBe('42P01');
  });

  it('waits, on return(), for the read it sent ahead, and lets a failure of it go unreported', async () => {
    const database = await dbs.open(target);
    await withEvents(database, 5);
    const { feed, state } = heldFeed(database, 2);
    const it = replayFrom(feed, new EventDecoder(), START, 2);
    await it.next();
    await dropEvents(database);
    const returned = it.return!();
    state.release();
    // A reader that breaks out leaves no query of its own running, and its failure is no
    // unhandled rejection (vitest fails the run on one).
    await expect(returned).resolves.toEqual({ value: undefined, done: true });
    expect(state.heldSettled).toBe(true);
    expect(await it.next()).toEqual({ value: undefined, done: true });
    expect(state.reads).toBe(2);
  });
});

// PGlite runs a statement in this thread, with no pool: there, nothing can leave ahead of the page.
describe.each(ALL_TARGETS.filter((t) => t !== 'pglite'))('replay through a pool on %s', (target) => {
  it('sends the read ahead to the database before the page is handed out, not after', async () => {
    const database = await dbs.open(target);
    const stored = await withEvents(database, 5);
    // The driver's pool hands a statement its connection on a later tick: counting them shows
    // whether page 2's read has left when the first event of page 1 is handed out.
    const pool = (database.db as unknown as { $client: EventEmitter }).$client;
    let acquired = 0;
    pool.on('acquire', () => {
      acquired++;
    });
    const it = new EventStore(database).replayAll(2);
    const first = await it.next();
    expect(first.value?.sequence).toBe(stored[0]!.sequence);
    expect(acquired).toBe(2);
    await it.return!();
  });
});
