// The failure-group counters (migration 0005) and the groups' per-day dead-letterings (migration
// 0010) against a recount from the members and attempts themselves, after every kind of write that
// adds, moves or removes a member or an attempt: ingest, a repeated dead-lettering that regroups,
// status changes by ids and by group, a retry and its message failing again, retention's cascade,
// a member removed directly and an attempt removed directly.

import { changeFailedMessageStatus } from '@genledger/core/use-cases/failed-messages/change-status';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { readMigrations } from '@genledger/db/migrations';
import { migrate } from '@genledger/db/migrator';
import { ConsoleReads } from '@genledger/db/read-models/console-read-model';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';
import { changeGroup, deadLetter } from '../support/dead-letters.ts';
import { days, expectDaysExact, recounted, stored } from '../support/failure-group-counts.ts';
import { message } from '../support/sqs-events.ts';

const dbs = useDatabases();

describe.each(['pglite', 'postgres'] as const)('failure-group counters on %s', (target) => {
  it('stay exact through ingest, regrouping, status changes, retry, archive, resolve and retention', async () => {
    const database = await dbs.open(target);
    const store = new FailedMessageStore(database, new EventStore(database));
    const generations: string[] = [];
    const deadLetter = (i: number, model: string, invalid = false, failedAt = new Date()) => {
      const m = message({ request: { prompt: `counter test ${i}` } });
      if (generations[i] === undefined) generations[i] = m.generationId;
      const generationId = generations[i]!;
      return store.ingest({
        messageId: crypto.randomUUID(),
        body: JSON.stringify({ ...m, generationId }),
        attributes: {},
        receiveCount: 3,
        queue: 'arn:aws:sqs:local:0:main',
        failedAt,
        generationId,
        messageType: 'generation.requested',
        model,
        invalidReason: invalid ? 'not a generation message' : null,
      });
    };
    const change = (
      op: 'archive' | 'unarchive' | 'resolve' | 'retry',
      selector: { ids: string[] } | { groupId: string },
    ) => changeFailedMessageStatus({ failedMessages: store }, op, selector, { requestedBy: null });
    const exact = async () => {
      const counts = await stored(database);
      expect(counts).toEqual(await recounted(database));
      await expectDaysExact(database);
      return counts;
    };

    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push((await deadLetter(i, i % 2 ? 'flux' : 'sdxl', i === 7)).id);
    const afterIngest = await exact();
    // Three groups per message (cause, message type, model): 8 messages, 24 memberships.
    expect(Object.values(afterIngest).reduce((n, c) => n + c.unresolved, 0)).toBe(24);

    // Failing again under another model moves the message from one model group to the other,
    // with its earlier attempts: the sparkline counts a group's current members. Two days ago, so
    // the message's attempts fall on two days.
    await deadLetter(0, 'flux', false, new Date(Date.now() - 2 * 86_400_000));
    const perDay = await exact().then(() => days(database));
    expect(new Set(Object.keys(perDay.stored).map((k) => k.split(' ')[1])).size).toBe(2);
    // The console's sparklines read the stored counts.
    const trends = await new ConsoleReads(database, new EventStore(database)).groupTrends(
      new Date(Date.now() - 13 * 86_400_000).toISOString().slice(0, 10),
    );
    expect(
      Object.fromEntries([...trends].flatMap(([g, byDay]) => [...byDay].map(([d, n]) => [`${g} ${d}`, n]))),
    ).toEqual(perDay.recounted);

    await change('archive', { ids: [ids[1]!, ids[2]!] });
    await change('resolve', { ids: [ids[3]!] });
    await change('retry', { ids: [ids[4]!, ids[5]!] });
    const moved = await exact();
    expect(Object.values(moved).reduce((n, c) => n + c.archived, 0)).toBe(6);
    expect(Object.values(moved).reduce((n, c) => n + c.retry_issued, 0)).toBe(6);

    // A retried message failing again is unresolved again.
    await deadLetter(4, 'sdxl');
    await exact();

    // By group: the whole model group archived (eligible ones only), then unarchived.
    const fluxGroup = (await store.groups()).find((g) => g.classifier === 'model' && g.title === 'flux')!;
    await change('archive', { groupId: fluxGroup.id });
    await exact();
    await change('unarchive', { groupId: fluxGroup.id });
    await exact();

    // What the group list shows is the counters: archived members are not counted.
    await change('archive', { ids: [ids[6]!] });
    const counts = await exact();
    for (const g of await store.groups()) {
      const c = counts[g.id]!;
      expect(g).toMatchObject({
        count: c.unresolved + c.retry_issued + c.resolved,
        unresolved: c.unresolved,
        retryIssued: c.retry_issued,
      });
    }

    // Retention: deleting messages removes their members by cascade.
    await database.db.execute(
      sql`update ${database.tables.failedMessages} set status_changed_at = now() - interval '40 days'`,
    );
    const swept = await store.deleteExpired(30, 1);
    expect(swept.deleted).toBe(3);
    await exact();

    // A member removed on its own.
    await database.db.execute(
      sql`delete from ${database.tables.failureGroupMembers} where failed_message_id = ${ids[0]!} and group_id = ${fluxGroup.id}`,
    );
    await exact();

    // An attempt removed on its own: off its message's groups on its day.
    const before = await expectDaysExact(database);
    await database.db.execute(
      sql`delete from ${database.tables.failedMessageAttempts}
          where id = (select min(id) from ${database.tables.failedMessageAttempts} where failed_message_id = ${ids[0]!})`,
    );
    const after = await exact().then(() => days(database).then((d) => d.stored));
    const total = (o: Record<string, number>) => Object.values(o).reduce((n, v) => n + v, 0);
    expect(total(after)).toBeLessThan(total(before));
  });
});

describe('`more` from two operators of one group on pglite', () => {
  it('is a hint: the run it asks for after another operator took the rest changes nothing and fails nothing', async () => {
    const database = await dbs.open('pglite');
    const store = new FailedMessageStore(database, new EventStore(database));
    for (let i = 0; i < 6; i++) await deadLetter(store, { model: 'hinted' });
    const group = (await store.groups()).find((g) => g.classifier === 'model' && g.title === 'hinted')!;
    // Operator A takes the first three and is told more are left; operator B then takes the rest.
    const a = await changeGroup(store, 'archive', group.id, { limit: 3 });
    expect(a).toMatchObject({ changed: 3, more: true, groupFound: true });
    const b = await changeGroup(store, 'archive', group.id, { limit: 10 });
    expect(b).toMatchObject({ changed: 3, more: false });
    // A follows its `more`: nothing left to change, the six counted as skipped, and done.
    const again = await changeGroup(store, 'archive', group.id, { limit: 3, after: a.next });
    expect(again).toMatchObject({ changed: 0, skipped: 6, more: false, retryBatchId: null });
    expect(await stored(database)).toEqual(await recounted(database));
  });
});

describe('per-day dead-letterings after retention on pglite', () => {
  it('keeps no day the sweep brought to zero, and every day that still counts a kept attempt', async () => {
    const database = await dbs.open('pglite');
    const store = new FailedMessageStore(database, new EventStore(database));
    const old = await deadLetter(store, { model: 'pruned', failedAt: new Date(Date.now() - 3 * 86_400_000) });
    await deadLetter(store, { model: 'pruned' });
    await changeFailedMessageStatus(
      { failedMessages: store },
      'archive',
      { ids: [old.id] },
      { requestedBy: null },
    );
    await database.db.execute(
      sql`update ${database.tables.failedMessages} set status_changed_at = now() - interval '40 days'
          where id = ${old.id}`,
    );
    expect((await store.deleteExpired(30, 10)).deleted).toBe(1);
    const zero = await database.db.$count(database.tables.failureGroupDays, sql`failures = 0`);
    expect(zero).toBe(0);
    // The kept message's day is still counted, exactly.
    expect(Object.keys(await expectDaysExact(database)).length).toBeGreaterThan(0);
  });
});

describe.each(['pglite', 'postgres'] as const)('per-day dead-letterings on %s', (target) => {
  it('migration 0010 counts the attempts recorded before it, and the triggers take over from there', async () => {
    const database = await dbs.open(target, { migrated: false });
    const all = readMigrations();
    await migrate(database, { migrations: all.filter((m) => m.tag < '0010') });
    // Today's ingest also keeps a group's spike (migration 0016’s column): lent to the old schema
    // for these writes, and taken back before the migrations run as released.
    const groups = sql`${database.tables.failureGroups}`;
    await database.db.execute(sql`alter table ${groups} add column spiking_since timestamptz`);
    const store = new FailedMessageStore(database, new EventStore(database));
    for (let i = 0; i < 4; i++) {
      await deadLetter(store, {
        failedAt: new Date(Date.now() - (i % 2) * 86_400_000),
        model: i % 2 ? 'flux' : 'sdxl',
      });
    }
    await database.db.execute(sql`alter table ${groups} drop column spiking_since`);
    await migrate(database);
    const filled = await expectDaysExact(database);
    // 4 messages in 3 groups each (cause, message type, model), over two days.
    expect(Object.values(filled).reduce((n, v) => n + v, 0)).toBe(12);
    expect(new Set(Object.keys(filled).map((k) => k.split(' ')[1])).size).toBe(2);
    await deadLetter(store);
    await expectDaysExact(database);
  });
});
