import { MAX_STORED_BODY_BYTES } from '@genledger/core/contracts/failed-messages';
import type { GenerationRequestedMessageInput } from '@genledger/core/contracts/queue-message';
import type { Queue } from '@genledger/core/ports/queue';
import { changeFailedMessageStatus } from '@genledger/core/use-cases/failed-messages/change-status';
import {
  continueRetryBatches,
  processRetryBatch,
} from '@genledger/core/use-cases/failed-messages/process-retry-batch';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { RetryBatchStore } from '@genledger/db/retry-batch-store';
import { startLocalServer } from '@genledger/local/server';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ALL_TARGETS, useDatabases } from '../support/databases.ts';
import { changeGroup, deadLetter } from '../support/dead-letters.ts';
import { flakyGenerator } from '../support/generators.ts';

const dbs = useDatabases();
const ADMIN = `recover-admin-key-${'r'.repeat(30)}`;

function recordingQueue(options: { failOnCall?: number } = {}) {
  const sent: GenerationRequestedMessageInput[] = [];
  let calls = 0;
  const queue: Queue = {
    async send(messages) {
      calls++;
      if (options.failOnCall === calls) throw new Error('function killed midway');
      sent.push(...messages);
      return { failed: [] };
    },
  };
  return { queue, sent };
}

describe.each(ALL_TARGETS)('failed-message store on %s', (target) => {
  it('ingests once per dead-lettering, groups by cause, and truncates oversized bodies', async () => {
    const database = await dbs.open(target);
    const store = new FailedMessageStore(database, new EventStore(database));
    const first = await deadLetter(store, { messageId: 'm-1' });
    expect(first).toMatchObject({ newAttempt: true, status: 'unresolved' });
    const again = await store.ingest({
      ...(await store.get(first.id))!,
      messageId: 'm-1',
      attributes: {},
      receiveCount: 3,
      queue: 'q',
      failedAt: new Date(),
      messageType: 'generation.requested',
      invalidReason: null,
    } as never);
    expect(again.newAttempt).toBe(false);
    const detail = await store.get(first.id);
    expect(detail).toMatchObject({
      attemptCount: 1,
      status: 'unresolved',
      invalid: false,
      lastError: { type: 'NoRecordedError' },
    });
    expect(detail!.attempts).toHaveLength(1);
    expect(detail!.groups.map((g) => [g.classifier, g.title])).toEqual([
      ['exception-type-and-stack-frame', 'NoRecordedError: no stack'],
      ['message-type', 'generation.requested'],
      ['model', 'sdxl'],
    ]);
    const huge = 'x'.repeat(MAX_STORED_BODY_BYTES + 10);
    const big = await store.ingest({
      messageId: 'm-big',
      body: huge,
      attributes: {},
      receiveCount: 1,
      queue: 'q',
      failedAt: new Date(),
      generationId: null,
      messageType: 'unknown',
      model: null,
      invalidReason: 'the message body is not JSON',
    });
    const bigDetail = await store.get(big.id);
    expect(bigDetail).toMatchObject({ bodyTruncated: true, invalid: true });
    expect(Buffer.byteLength(bigDetail!.body)).toBe(MAX_STORED_BODY_BYTES);
  });

  it('archives and unarchives: hidden from lists and group counts, then restored; illegal moves are conflicts', async () => {
    const database = await dbs.open(target);
    const store = new FailedMessageStore(database, new EventStore(database));
    const a = await deadLetter(store);
    const b = await deadLetter(store);
    const [group] = (await store.groups()).filter((g) => g.classifier === 'model');
    expect(group!.count).toBe(2);
    await changeFailedMessageStatus(
      { failedMessages: store },
      'archive',
      { ids: [a.id] },
      { requestedBy: null },
    );
    expect(
      (
        await store.list({ statuses: ['unresolved'] }, { field: 'lastFailedAt', descending: true }, 10)
      ).items.map((i) => i.id),
    ).toEqual([b.id]);
    expect((await store.groups()).find((g) => g.id === group!.id)!.count).toBe(1);
    await expect(
      changeFailedMessageStatus({ failedMessages: store }, 'archive', { ids: [a.id] }, { requestedBy: null }),
    ).rejects.toMatchObject({ kind: 'conflict' });
    // In a group operation the archived one is skipped and counted instead.
    expect(
      await changeFailedMessageStatus(
        { failedMessages: store },
        'archive',
        { groupId: group!.id },
        { requestedBy: null },
      ),
    ).toMatchObject({
      changed: 1,
      skipped: 1,
    });
    expect(await store.groups()).toEqual([]);
    expect(
      await changeFailedMessageStatus(
        { failedMessages: store },
        'unarchive',
        { groupId: group!.id },
        { requestedBy: null },
      ),
    ).toMatchObject({ changed: 2, skipped: 0 });
    expect((await store.groups()).find((g) => g.id === group!.id)!.count).toBe(2);
    await changeFailedMessageStatus(
      { failedMessages: store },
      'resolve',
      { ids: [a.id] },
      { requestedBy: null },
    );
    await expect(
      changeFailedMessageStatus({ failedMessages: store }, 'retry', { ids: [a.id] }, { requestedBy: null }),
    ).rejects.toMatchObject({
      kind: 'conflict',
    });
    await expect(
      changeFailedMessageStatus({ failedMessages: store }, 'retry', { ids: ['nope'] }, { requestedBy: null }),
    ).rejects.toMatchObject({ kind: 'not-found' });
    const history = await new EventStore(database).readStream(`failed-message-${a.id}`);
    expect(
      history.map((e) => e.event.type === 'FailedMessageStatusChanged' && `${e.event.from}→${e.event.to}`),
    ).toEqual([false, 'unresolved→archived', 'archived→unresolved', 'unresolved→resolved']);
  });

  it('a group operation takes its first eligible members by id, a limit at a time, counts the rest as skipped, and says when more are left', async () => {
    const database = await dbs.open(target);
    const store = new FailedMessageStore(database, new EventStore(database));
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await deadLetter(store, { model: 'chunked' })).id);
    // One that never parsed, in the same group: never retried, counted as skipped.
    const broken = await deadLetter(store, {
      model: 'chunked',
      invalidReason: 'the message body is not JSON',
    });
    ids.sort();
    const group = (await store.groups()).find((g) => g.classifier === 'model' && g.title === 'chunked')!;
    await changeFailedMessageStatus(
      { failedMessages: store },
      'resolve',
      { ids: [ids[1]!] },
      { requestedBy: null },
    );
    const retryTwo = (after?: string | null) => changeGroup(store, 'retry', group.id, { limit: 2, after });
    const status = async () =>
      Object.fromEntries(
        await Promise.all([...ids, broken.id].map(async (id) => [id, (await store.get(id))!.status])),
      );
    // 5 eligible (6, less the resolved one); the invalid and the resolved one are skipped.
    const first = await retryTwo();
    expect(first).toMatchObject({ changed: 2, skipped: 2, more: true, next: ids[2] });
    expect(await status()).toMatchObject({
      [ids[0]!]: 'retry_issued',
      [ids[2]!]: 'retry_issued',
      [ids[3]!]: 'unresolved',
    });
    // Each run goes on from the previous one's `next`; the two retried are skipped as well now.
    const second = await retryTwo(first.next);
    expect(second).toMatchObject({ changed: 2, skipped: 4, more: true, next: ids[4] });
    const third = await retryTwo(second.next);
    expect(third).toMatchObject({ changed: 1, skipped: 6, more: false, next: null });
    expect(await retryTwo()).toMatchObject({ changed: 0, skipped: 7, more: false, retryBatchId: null });
    // A cursor past every member, with an eligible one behind it (as one dead-lettered since with a
    // lower id would be): the walk finds nothing past it and starts again from the first member.
    const last = [...ids, broken.id].sort().at(-1)!;
    expect(await changeGroup(store, 'archive', group.id, { limit: 2, after: last })).toMatchObject({
      changed: 1,
      skipped: 6,
      more: false,
      next: null,
    });
    await changeFailedMessageStatus(
      { failedMessages: store },
      'unarchive',
      { ids: [broken.id] },
      { requestedBy: null },
    );
    const after = await status();
    expect(after[broken.id]).toBe('unresolved');
    expect(after[ids[1]!]).toBe('resolved');
    expect(Object.values(after).filter((s) => s === 'retry_issued')).toHaveLength(5);
    // Three batches of 2, 2 and 1, each of its own chunk's messages.
    const batches = new RetryBatchStore(database, new EventStore(database));
    for (const [outcome, n] of [
      [first, 2],
      [second, 2],
      [third, 1],
    ] as const)
      expect(await batches.get(outcome.retryBatchId!)).toMatchObject({ total: n });
    // Through the use case (limit MAX_PER_OPERATION) a small group goes whole; archived members
    // are skipped by an archive, counted from the group's counters.
    expect(
      await changeFailedMessageStatus(
        { failedMessages: store },
        'resolve',
        { groupId: group.id },
        { requestedBy: null },
      ),
    ).toEqual({ changed: 6, skipped: 1, more: false, next: null, retryBatchId: null });
    await expect(
      changeFailedMessageStatus(
        { failedMessages: store },
        'archive',
        { groupId: 'no-such-group' },
        { requestedBy: null },
      ),
    ).rejects.toMatchObject({ kind: 'not-found' });
  });

  it('retention deletes only resolved and archived messages older than the setting, in chunks', async () => {
    const database = await dbs.open(target);
    const store = new FailedMessageStore(database, new EventStore(database));
    const ids = [];
    for (let i = 0; i < 6; i++) ids.push((await deadLetter(store)).id);
    await changeFailedMessageStatus(
      { failedMessages: store },
      'resolve',
      { ids: ids.slice(0, 2) },
      { requestedBy: null },
    );
    await changeFailedMessageStatus(
      { failedMessages: store },
      'archive',
      { ids: ids.slice(2, 4) },
      { requestedBy: null },
    );
    await changeFailedMessageStatus(
      { failedMessages: store },
      'retry',
      { ids: [ids[4]!] },
      { requestedBy: null },
    );
    // Everything changed "20 days ago", except one resolved message that changed just now.
    await database.db
      .update(database.tables.failedMessages)
      .set({ statusChangedAt: new Date(Date.now() - 20 * 86_400_000) });
    await database.db
      .update(database.tables.failedMessages)
      .set({ statusChangedAt: new Date() })
      .where(eqId(database, ids[0]!));
    expect(await store.deleteExpired(14, 1)).toEqual({ deleted: 3, groupsDeleted: 0 });
    expect(await store.statusCounts()).toEqual({ resolved: 1, retry_issued: 1, unresolved: 1 });
  });
});

const eqId = (database: Database, id: string) => eq(database.tables.failedMessages.id, id);

describe('retries on a real server', () => {
  it('re-sends a group in rate-limited chunks, resumes after an interruption, and sends nothing twice', async () => {
    const database = await dbs.open('postgres');
    const store = new FailedMessageStore(database, new EventStore(database));
    const batches = new RetryBatchStore(database, new EventStore(database));
    for (let i = 0; i < 25; i++) await deadLetter(store);
    const group = (await store.groups()).find((g) => g.classifier === 'message-type')!;
    const { retryBatchId, changed } = await changeFailedMessageStatus(
      { failedMessages: store },
      'retry',
      { groupId: group.id },
      { requestedBy: null },
    );
    expect(changed).toBe(25);
    const { queue, sent } = recordingQueue({ failOnCall: 3 });
    const sleeps: number[] = [];
    const deps = {
      batches,
      queue,
      messagesPerSecond: 10,
      deadline: Date.now() + 60_000,
      sleep: async (ms: number) => void sleeps.push(ms),
    };
    await expect(processRetryBatch(deps, retryBatchId!)).rejects.toThrow('function killed midway');
    expect(sent).toHaveLength(20);
    expect(sleeps.length).toBeGreaterThanOrEqual(1);
    expect(await batches.get(retryBatchId!)).toMatchObject({ status: 'in_progress', sent: 20 });
    // The next maintenance run continues exactly where it stopped.
    const resumed = await continueRetryBatches({ ...deps, queue: recordingQueue().queue });
    expect(resumed).toMatchObject({ sent: 5, completed: 1 });
    expect(await batches.get(retryBatchId!)).toMatchObject({ status: 'completed', sent: 25, total: 25 });
    expect(new Set(sent.map((m) => m.generationId)).size).toBe(20);
  });

  it('runs the whole loop: dead-lettered through the local queue, grouped, retried over HTTP after recovery, resolved by completion', async () => {
    const database = await dbs.open('postgres');
    const flaky = flakyGenerator(3);
    const server = await startLocalServer({
      database,
      port: 0,
      env: { LOG_LEVEL: 'silent', ADMIN_API_KEY: ADMIN },
      pipeline: { generator: flaky.generator, visibilityTimeoutMs: 20, maxReceiveCount: 3 },
    });
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${server.url}${path}`, {
        ...init,
        headers: {
          authorization: `Bearer ${ADMIN}`,
          'content-type': 'application/json',
          ...(init.headers ?? {}),
        },
      });
    try {
      const created = (await (
        await api('/generations', {
          method: 'POST',
          body: JSON.stringify({ prompt: 'a storm over the sea' }),
        })
      ).json()) as { id: string };
      await server.pipeline!.drain(15_000);
      const gen = (await (await api(`/generations/${created.id}`)).json()) as { status: string };
      expect(gen.status).toBe('failed');
      const list = (await (await api('/failed-messages')).json()) as {
        items: { id: string; generationId: string; lastError: { type: string } }[];
      };
      expect(list.items).toHaveLength(1);
      const [failed] = list.items;
      expect(failed).toMatchObject({ generationId: created.id, lastError: { type: 'GeneratorUnavailable' } });
      const groups = (await (await api('/failure-groups')).json()) as {
        items: { classifier: string; title: string; count: number }[];
      };
      expect(groups.items.map((g) => g.title).sort()).toEqual(
        ['GeneratorUnavailable: at Object.generate (generators.ts)', 'generation.requested', 'sdxl'].sort(),
      );
      const detail = (await (await api(`/failed-messages/${failed!.id}`)).json()) as {
        attempts: { errorType: string; receiveCount: number }[];
      };
      expect(detail.attempts).toEqual([expect.objectContaining({ errorType: 'GeneratorUnavailable' })]);

      flaky.recover();
      const retry = await api('/failed-messages/retry', {
        method: 'POST',
        body: JSON.stringify({ ids: [failed!.id] }),
      });
      expect(retry.status).toBe(202);
      expect(
        ((await retry.json()) as { retryBatch: { status: string; sent: number } }).retryBatch,
      ).toMatchObject({ status: 'completed', sent: 1 });
      await server.pipeline!.drain(15_000);
      expect(((await (await api(`/generations/${created.id}`)).json()) as { status: string }).status).toBe(
        'completed',
      );
      const after = (await (await api(`/failed-messages/${failed!.id}`)).json()) as { status: string };
      expect(after.status).toBe('resolved');
      const again = await api('/failed-messages/retry', {
        method: 'POST',
        body: JSON.stringify({ ids: [failed!.id] }),
      });
      expect(again.status).toBe(409);
      expect(((await again.json()) as { detail: string }).detail).toContain('is resolved');
      const batches = (await (await api('/retry-batches')).json()) as { items: unknown[] };
      expect(batches.items).toHaveLength(1);
      // A group operation over HTTP: its cursor is checked like any input, and a resolved message
      // is skipped, with nothing left for another run.
      const sdxl = (
        (await (await api('/failure-groups')).json()) as { items: { id: string; title: string }[] }
      ).items.find((g) => g.title === 'sdxl')!;
      for (const query of ['after=%00', `after=${'a'.repeat(65)}`, 'cursor=x']) {
        const bad = await api(`/failure-groups/${sdxl.id}/archive?${query}`, { method: 'POST' });
        expect(bad.status).toBe(400);
        expect(bad.headers.get('content-type')).toContain('application/problem+json');
      }
      const archived = await api(`/failure-groups/${sdxl.id}/archive?after=${failed!.id}`, {
        method: 'POST',
      });
      expect(await archived.json()).toEqual({ changed: 0, skipped: 1, more: false, next: null });
      expect(
        ((await (await api(`/failed-messages/${failed!.id}`)).json()) as { status: string }).status,
      ).toBe('resolved');
    } finally {
      await server.close();
    }
  });
});
