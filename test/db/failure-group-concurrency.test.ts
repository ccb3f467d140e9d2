// The failure-group counters under concurrent writers on a real server: a retention sweep beside a
// bulk status change, group operations waiting on another writer of their members, a group emptied
// by the sweep while an operator acts on it, chunked operations racing, and the sweep beside an
// ingest joining a group. Exactness after each kind of write alone is in failure-group-counts.test.ts.

import { changeFailedMessageStatus } from '@genledger/core/use-cases/failed-messages/change-status';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../packages/db/src/executor.ts';
import { useDatabases } from '../support/databases.ts';
import { changeGroup, deadLetter } from '../support/dead-letters.ts';
import { expectDaysExact, recounted, stored } from '../support/failure-group-counts.ts';
import { lockWaiters } from '../support/locks.ts';

const dbs = useDatabases();

/** The sweep against two operators, this many times over (issue 29 asks for 50), this many messages each. */
const ROUNDS = 50;
const PER_ROUND = 12;

describe('failure-group counters under concurrency on postgres', () => {
  it('a retention sweep and a bulk status change over the same groups neither deadlock nor miscount', async () => {
    const database = await dbs.open('postgres');
    const store = new FailedMessageStore(database, new EventStore(database));
    const change = (op: 'archive' | 'unarchive', selector: { ids: string[] } | { groupId: string }) =>
      changeFailedMessageStatus({ failedMessages: store }, op, selector, { requestedBy: null });
    // One member of the three groups stays unresolved throughout: neither the sweep nor an
    // unarchive moves it, so the sweep never deletes a group an operator is about to act on (that
    // operator would get the group's 404, rightly; an emptied group that still exists is a change
    // of nothing, tested below).
    await deadLetter(store);
    for (let round = 0; round < ROUNDS; round++) {
      // Messages in the same three groups (cause, message type, model), all archived long ago.
      const ids: string[] = [];
      for (let i = 0; i < PER_ROUND; i++) ids.push((await deadLetter(store)).id);
      await change('archive', { ids });
      await database.db.execute(
        sql`update ${database.tables.failedMessages} set status_changed_at = now() - interval '40 days'
            where id = any(${sql.param(ids)}::text[])`,
      );
      const groups = await rowsOf<{ id: string }>(
        database.db.execute(
          sql`select m.group_id as id from ${database.tables.failureGroupMembers} m
              where m.failed_message_id = ${ids[0]!} order by m.group_id`,
        ),
      );
      expect(groups).toHaveLength(3);
      // The sweep deletes a few at a time while two operators unarchive the same messages, each
      // through another of their groups (a group's selection skips what is no longer archived).
      const results = await Promise.allSettled([
        store.deleteExpired(30, 3),
        change('unarchive', { groupId: groups[round % 3]!.id }),
        change('unarchive', { groupId: groups[(round + 1) % 3]!.id }),
      ]);
      for (const r of results) {
        if (r.status === 'rejected') throw r.reason;
      }
      const [swept, first, second] = results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as [
        { deleted: number },
        { changed: number },
        { changed: number },
      ];
      // Each was swept or unarchived, by one operator, once.
      expect(swept.deleted + first.changed + second.changed).toBe(PER_ROUND);
      expect(await stored(database)).toEqual(await recounted(database));
      await expectDaysExact(database);
      const left = await rowsOf<{ status: string }>(
        database.db.execute(
          sql`select status from ${database.tables.failedMessages} where id = any(${sql.param(ids)}::text[])`,
        ),
      );
      // Each message was either swept (archived and expired) or unarchived first, never both.
      expect(left.every((r) => r.status === 'unresolved')).toBe(true);
    }
  });
});

describe('a group operation that waits for another writer of its members on postgres', () => {
  it('counts the members as that writer left them: skipped, never "not found or empty"', async () => {
    const database = await dbs.open('postgres');
    const store = new FailedMessageStore(database, new EventStore(database));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await deadLetter(store, { model: 'contended' })).id);
    const group = (await store.groups()).find((g) => g.classifier === 'model' && g.title === 'contended')!;
    await changeFailedMessageStatus({ failedMessages: store }, 'archive', { ids }, { requestedBy: null });
    // Another operator has unarchived the group's members and not yet committed: it holds them.
    const other = new pg.Client({ connectionString: database.config.url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query(
        `update "${database.schema}".failed_messages set status = 'unresolved', status_changed_at = now()
         where id = any($1::text[])`,
        [ids],
      );
      const unarchive = changeFailedMessageStatus(
        { failedMessages: store },
        'unarchive',
        { groupId: group.id },
        { requestedBy: null },
      );
      // This operation is waiting for those members; then the other commits.
      await lockWaiters(database.config.url!);
      await other.query('commit');
      // As if it had run after the other: nothing left to unarchive, five members skipped.
      expect(await unarchive).toMatchObject({ changed: 0, skipped: 5, more: false });
    } finally {
      await other.end();
    }
    expect(await stored(database)).toEqual(await recounted(database));
  });
});

describe('a group emptied by the retention sweep while an operator acts on it, on postgres', () => {
  it('is a change of nothing while the group exists, and not found once the sweep removed it', async () => {
    const database = await dbs.open('postgres');
    const store = new FailedMessageStore(database, new EventStore(database));
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await deadLetter(store, { model: 'swept' })).id);
    const group = (await store.groups()).find((g) => g.classifier === 'model' && g.title === 'swept')!;
    const change = (op: 'archive' | 'unarchive') =>
      changeFailedMessageStatus({ failedMessages: store }, op, { groupId: group.id }, { requestedBy: null });
    await change('archive');
    // A sweep's chunk, as retention.ts takes it: the expired members locked in id order, their
    // groups, then the delete; not yet committed when the operator's unarchive of the group starts.
    const sweep = new pg.Client({ connectionString: database.config.url });
    await sweep.connect();
    try {
      await sweep.query('begin');
      const schema = `"${database.schema}"`;
      await sweep.query(
        `select id from ${schema}.failed_messages where id = any($1::text[]) order by id for update`,
        [ids],
      );
      await sweep.query(`select 1 from ${schema}.failure_groups where id = $1 for update`, [group.id]);
      await sweep.query(`delete from ${schema}.failed_messages where id = any($1::text[])`, [ids]);
      const unarchive = change('unarchive');
      await lockWaiters(database.config.url!);
      await sweep.query('commit');
      // The group is still there, with nothing in it: nothing to do, and no error to act on.
      expect(await unarchive).toEqual({
        changed: 0,
        skipped: 0,
        more: false,
        next: null,
        retryBatchId: null,
      });
    } finally {
      await sweep.end();
    }
    expect(await stored(database)).toEqual(await recounted(database));
    // The sweep's last step removes the empty group: now it is not found, and says why it may be gone.
    await store.deleteExpired(30, 10);
    await expect(change('unarchive')).rejects.toMatchObject({
      kind: 'not-found',
      message: expect.stringContaining('retention'),
    });
  });
});

describe('a group operation in chunks under concurrency on postgres', () => {
  it('two operators archiving the same large group while messages keep dead-lettering into it move each message once', async () => {
    const database = await dbs.open('postgres');
    const events = new EventStore(database);
    const store = new FailedMessageStore(database, events);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await deadLetter(store, { model: 'outage' })).id);
    const group = (await store.groups()).find((g) => g.classifier === 'model' && g.title === 'outage')!;
    // The use case takes MAX_PER_OPERATION a time; the store's same path with a limit of 4, each
    // run going on from the previous one's `next` until it says nothing more is left.
    const operator = async () => {
      let changed = 0;
      let after: string | null = null;
      for (let calls = 0; calls < 50; calls++) {
        const outcome: Awaited<ReturnType<typeof changeGroup>> = await changeGroup(
          store,
          'archive',
          group.id,
          {
            limit: 4,
            after,
          },
        );
        changed += outcome.changed;
        after = outcome.next;
        if (!outcome.more) return changed;
      }
      throw new Error('more never ran out');
    };
    const arriving = async () => {
      for (let i = 0; i < 10; i++) ids.push((await deadLetter(store, { model: 'outage' })).id);
    };
    const [a, b] = await Promise.all([operator(), operator(), arriving()]);
    // What arrived after the operators finished is still unresolved; nothing was moved twice.
    const statuses = await rowsOf<{ id: string; status: string }>(
      database.db.execute(
        sql`select id, status from ${database.tables.failedMessages} where id = any(${sql.param(ids)}::text[])`,
      ),
    );
    const archived = statuses.filter((r) => r.status === 'archived').length;
    expect(a! + b!).toBe(archived);
    expect(archived).toBeGreaterThanOrEqual(30);
    expect(archived + statuses.filter((r) => r.status === 'unresolved').length).toBe(40);
    for (const id of ids) {
      const moves = (await events.readStream(`failed-message-${id}`)).filter(
        (e) => e.event.type === 'FailedMessageStatusChanged',
      );
      const status = statuses.find((r) => r.id === id)!.status;
      expect(moves).toHaveLength(status === 'archived' ? 1 : 0);
    }
    expect(await stored(database)).toEqual(await recounted(database));
    await expectDaysExact(database);
  });
});

describe('empty failure groups under concurrency on postgres', () => {
  it('the sweep never deletes a group a concurrent ingest is joining, nor the membership with it', async () => {
    const database = await dbs.open('postgres');
    const store = new FailedMessageStore(database, new EventStore(database));
    const { id: messageId } = await deadLetter(store);
    const groups = database.tables.failureGroups;
    const members = database.tables.failureGroupMembers;
    // A group whose members are all gone (swept), about to be joined by a new failure.
    const groupId = 'e'.repeat(64);
    await database.db.execute(
      sql`insert into ${groups} (id, classifier, title, first_failed_at, last_failed_at)
          values (${groupId}, 'model', 'flux', now(), now())`,
    );
    // The joining writer, as an ingest does: the group locked first, then the member added.
    const joining = new pg.Client({ connectionString: database.config.url });
    await joining.connect();
    try {
      await joining.query('begin');
      await joining.query(`select 1 from "${database.schema}".failure_groups where id = $1 for update`, [
        groupId,
      ]);
      // The sweep runs to its end while the group is held: it passes over the group, never waits.
      const sweep = await store.deleteExpired(30);
      expect(sweep.groupsDeleted).toBe(0);
      await joining.query(
        `insert into "${database.schema}".failure_group_members (group_id, failed_message_id) values ($1, $2)`,
        [groupId, messageId],
      );
      await joining.query('commit');
    } finally {
      await joining.end();
    }
    const [row] = await rowsOf<{ n: number }>(
      database.db.execute(sql`select count(*)::int as n from ${members} where group_id = ${groupId}`),
    );
    expect(row!.n).toBe(1);
    expect(await stored(database)).toEqual(await recounted(database));
    await expectDaysExact(database);
  });
});
