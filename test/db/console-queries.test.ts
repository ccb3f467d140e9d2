import { changeFailedMessageStatus } from '@genledger/core/use-cases/failed-messages/change-status';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { readMigrations } from '@genledger/db/migrations';
import { migrate } from '@genledger/db/migrator';
import { ConsoleReads } from '@genledger/db/read-models/console-read-model';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../packages/db/src/executor.ts';
import { useDatabases } from '../support/databases.ts';
import { deadLetter } from '../support/dead-letters.ts';
import { completed, requested } from '../support/domain-events.ts';

const dbs = useDatabases();

describe.each(['postgres', 'pglite'] as const)('console queries on %s', (target) => {
  it("a retry batch's messages are found through the transaction that issued the batch, archived or not; a batch from before migration 0007 by its events in `events`", async () => {
    const database = await dbs.open(target, { migrated: false });
    const all = readMigrations();
    const before0007 = all.filter((m) => m.tag < '0007');
    expect(before0007.length).toBe(all.findIndex((m) => m.tag.startsWith('0007')));
    await migrate(database, { migrations: before0007 });
    // Today's ingest also keeps a group's spike (migration 0016’s column): lent to the old schema
    // for the writes before the migration, taken back before the migrations run as released.
    const groups = sql`${database.tables.failureGroups}`;
    await database.db.execute(sql`alter table ${groups} add column spiking_since timestamptz`);

    const events = new EventStore(database);
    const store = new FailedMessageStore(database, events);
    const retry = async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await deadLetter(store)).id);
      const outcome = await changeFailedMessageStatus(
        { failedMessages: store },
        'retry',
        { ids },
        { requestedBy: null },
      );
      return { batch: outcome.retryBatchId!, ids: ids.sort() };
    };
    // Issued under the old schema: its transaction is not recorded, and is found from its events.
    const old = await retry();
    // Another operation's events in between, so a batch is not simply "every status change".
    const other = (await deadLetter(store)).id;
    await changeFailedMessageStatus(
      { failedMessages: store },
      'archive',
      { ids: [other] },
      { requestedBy: null },
    );
    await database.db.execute(sql`alter table ${groups} drop column spiking_since`);
    await migrate(database);
    const fresh = await retry();

    // The new batch's row carries the transaction its events were written in; the old one none
    // (the migration does not scan every event for it).
    const stamped = await rowsOf<{ id: string; same: boolean | null }>(
      database.db.execute(
        sql`select b.id::text as id, b.tx_id = (select e.tx_id from ${database.tables.events} e
                             where e.event_type = 'FailedMessageStatusChanged' and e.payload->>'retryBatchId' = b.id::text limit 1) as same
            from ${database.tables.retryBatches} b`,
      ),
    );
    expect(Object.fromEntries(stamped.map((r) => [r.id, r.same]))).toEqual({
      [old.batch]: null,
      [fresh.batch]: true,
    });

    const queries = new ConsoleReads(database, events);
    const covered = async (b: { batch: string }) =>
      (await queries.batchMessages(b.batch, new Date(0).toISOString())).map((m) => m.id).sort();
    expect(await covered(old)).toEqual(old.ids);
    expect(await covered(fresh)).toEqual(fresh.ids);

    // Every event behind the (absent) checkpoints moves: the new batch keeps its messages; the old
    // one's are no longer found, as before 0007 (documented).
    const { moved } = await events.archive({ olderThan: new Date(Date.now() + 60_000) });
    expect(moved).toBeGreaterThan(10);
    expect(await database.db.$count(database.tables.events)).toBe(0);
    expect(await covered(fresh)).toEqual(fresh.ids);
    expect(await covered(old)).toEqual([]);
    expect(await covered({ batch: crypto.randomUUID() })).toEqual([]);
  });

  it('reads events through the event store: its upcasters apply to the event log and to retry receipts', async () => {
    const database = await dbs.open(target);
    const writer = new EventStore(database);
    const store = new FailedMessageStore(database, writer);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await deadLetter(store)).id);
    const { retryBatchId } = await changeFailedMessageStatus(
      { failedMessages: store },
      'retry',
      { ids },
      { requestedBy: null },
    );
    const generation = crypto.randomUUID();
    await writer.appendAll([{ streamId: `generation-${generation}`, event: requested(generation) }]);

    // A later version of both event types, read from rows written at version 1: the request's
    // upcaster renames its prompt, the status change's takes the first message out of the batch.
    const [dropped] = [...ids].sort();
    const reader = new EventStore(database, {
      versions: { GenerationRequested: 2, FailedMessageStatusChanged: 2 },
      upcasters: {
        GenerationRequested: {
          1: (p) => ({ ...p, request: { ...(p.request as object), prompt: 'upcast' } }),
        },
        FailedMessageStatusChanged: {
          1: (p) => (p.failedMessageId === dropped ? { ...p, retryBatchId: null } : p),
        },
      },
    });
    const upcast = new ConsoleReads(database, reader);
    const [newest] = await upcast.recentEvents({ type: 'GenerationRequested' }, 1);
    expect(newest).toMatchObject({ type: 'GenerationRequested', version: 1 });
    expect(newest!.event).toMatchObject({ request: { prompt: 'upcast' } });
    const covered = (await upcast.batchMessages(retryBatchId!, new Date(0).toISOString())).map((m) => m.id);
    expect(covered).toEqual(ids.filter((id) => id !== dropped).sort());
    // The same rows as stored, through the writer's store (no upcasters): every message.
    const asStored = await new ConsoleReads(database, writer).batchMessages(
      retryBatchId!,
      new Date(0).toISOString(),
    );
    expect(asStored.map((m) => m.id)).toEqual([...ids].sort());
  });

  it('ids are one bound array: quotes, commas, braces and backslashes are characters of an id', async () => {
    const database = await dbs.open(target);
    const store = new FailedMessageStore(database, new EventStore(database));
    const queries = new ConsoleReads(database, new EventStore(database));
    const { id } = await deadLetter(store);
    const lookalikes = [`"${id}"`, `${id},x`, `{${id}}`, `${id.slice(0, 63)}\\`, '"', 'a,b', '{}', 'a\\b'];
    expect(await queries.retryPreview({ ids: lookalikes }, 5)).toMatchObject({ eligible: 0, invalid: 0 });
    expect(await queries.retryPreview({ ids: [...lookalikes, id] }, 5)).toMatchObject({ eligible: 1 });
    expect(await queries.eligibleIds('archive', { ids: lookalikes })).toEqual({
      ids: lookalikes,
      more: false,
    });
  });

  it("the event log's filters search the newest events only, and the unfiltered log is the newest whatever their age", async () => {
    const database = await dbs.open(target);
    const events = new EventStore(database);
    const queries = new ConsoleReads(database, events);
    const early = crypto.randomUUID();
    await events.appendAll([{ streamId: `generation-${early}`, event: requested(early) }]);
    for (let i = 0; i < 12; i++) {
      const id = crypto.randomUUID();
      await events.appendAll([
        { streamId: `generation-${id}`, event: requested(id) },
        { streamId: `generation-${id}`, event: completed(id, 10) },
      ]);
    }
    const [newest] = await queries.recentEvents({}, 1, 5);
    expect(newest!.type).toBe('GenerationCompleted');
    // Within a window of 30 the early event is found by type and by its stream's prefix; in the
    // newest 10 it is not (a search there, not a walk through every event).
    expect(
      (await queries.recentEvents({ stream: `generation-${early}` }, 50, 30)).map((e) => e.streamId),
    ).toEqual([`generation-${early}`]);
    expect(await queries.recentEvents({ stream: `generation-${early}` }, 50, 10)).toEqual([]);
    const requestedInTen = await queries.recentEvents({ type: 'GenerationRequested' }, 50, 10);
    expect(requestedInTen.length).toBe(5);
    expect(requestedInTen.every((e) => e.type === 'GenerationRequested')).toBe(true);
    expect((await queries.recentEvents({ type: 'GenerationRequested' }, 50, 30)).length).toBe(13);
  });

  it('overview counts are exact up to a cap, then "more" with the planner\'s estimate once the table is analysed', async () => {
    const database = await dbs.open(target);
    const queries = new ConsoleReads(database, new EventStore(database));
    const g = database.tables.generations;
    await database.db.execute(
      sql`insert into ${g} (id, prompt, status) select gen_random_uuid(), 'p', 'pending' from generate_series(1, 6)`,
    );
    await database.db.execute(
      sql`insert into ${g} (id, prompt, status) values (gen_random_uuid(), 'p', 'failed')`,
    );
    const exact = await queries.generationCounts({ admin: true }, 10);
    expect(exact).toMatchObject({
      pending: { n: 6, more: false },
      failed: { n: 1, more: false },
      running: { n: 0 },
    });
    const capped = await queries.generationCounts({ admin: true }, 4);
    expect(capped.pending).toEqual({ n: 4, more: true });
    expect(capped.failed).toEqual({ n: 1, more: false });
    await database.db.execute(sql.raw(`analyze "${database.schema}".generations`));
    expect((await queries.generationCounts({ admin: true }, 4)).pending).toEqual({
      n: 4,
      more: true,
      estimate: 6,
    });
    // A key's own counts: the statistics are table-wide, so no estimate.
    const someKey = crypto.randomUUID();
    expect((await queries.generationCounts({ admin: false, apiKeyId: someKey }, 4)).pending).toEqual({
      n: 0,
      more: false,
    });

    const store = new FailedMessageStore(database, new EventStore(database));
    for (let i = 0; i < 3; i++) await deadLetter(store);
    expect((await queries.failedCounts(10)).unresolved).toEqual({ n: 3, more: false });
    expect((await queries.failedCounts(2)).unresolved).toEqual({ n: 2, more: true });
    // The failed messages list's "all N matching": exact up to the cap, then "more".
    expect(await queries.countMatching({ statuses: ['unresolved'] }, 10)).toEqual({ n: 3, more: false });
    expect(await queries.countMatching({ statuses: ['unresolved'] }, 2)).toEqual({ n: 2, more: true });
    expect(await queries.countMatching({ statuses: ['archived'] }, 2)).toEqual({ n: 0, more: false });
    // A retry preview of "everything matching" counts what one retry takes (the first `cap` by
    // id, as eligibleIds hands them to the send), and says whether more are left.
    const all = { filter: { statuses: ['unresolved' as const] } };
    expect(await queries.retryPreview(all, 5, 2)).toMatchObject({ eligible: 2, more: true, invalid: 0 });
    expect(await queries.retryPreview(all, 5, 10)).toMatchObject({ eligible: 3, more: false });
    const every = await queries.eligibleIds('retry', all);
    expect(every).toMatchObject({ more: false });
    expect(every.ids).toHaveLength(3);
    expect(await queries.eligibleIds('retry', all, 2)).toEqual({ ids: every.ids.slice(0, 2), more: true });
    // A group is taken the same way (the store's limit), so its preview stops at the cap too.
    const [group] = await store.groups();
    expect(await queries.retryPreview({ groupId: group!.id }, 5, 2)).toMatchObject({
      eligible: 2,
      more: true,
    });
    expect(await queries.retryPreview({ ids: every.ids }, 5, 2)).toMatchObject({ eligible: 3, more: false });
  });
});
