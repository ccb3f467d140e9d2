import type { DomainEvent } from '@genledger/core/contracts/events';
import { dailyGenerationStats, EventStore, ProjectionRunner, rowsOf, SettingsStore } from '@genledger/db';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ALL_TARGETS, useDatabases } from '../support/databases.ts';

const dbs = useDatabases();

function lifecycle(
  model: string,
  outcome: 'completed' | 'failed' | 'cancelled',
  durationMs: number,
): { streamId: string; event: DomainEvent }[] {
  const generationId = crypto.randomUUID();
  const streamId = `generation-${generationId}`;
  const events: DomainEvent[] = [
    {
      type: 'GenerationRequested',
      generationId,
      apiKeyId: null,
      source: 'queue',
      request: { prompt: 'p', name: '', model, width: 512, height: 512, steps: 20, guidance: 7.5 },
    },
  ];
  if (outcome === 'completed')
    events.push({
      type: 'GenerationCompleted',
      generationId,
      model,
      attempt: 1,
      outputPath: 'o.png',
      thumbnailPath: null,
      durationMs,
    });
  if (outcome === 'failed')
    events.push({
      type: 'GenerationFailed',
      generationId,
      model,
      attempts: 3,
      reason: 'dead-lettered',
      error: { type: 'TimeoutError', message: 'slow' },
      durationMs,
    });
  if (outcome === 'cancelled') events.push({ type: 'GenerationCancelled', generationId, model });
  return events.map((event) => ({ streamId, event }));
}

describe.each(ALL_TARGETS)('projections and settings on %s', (target) => {
  it('feeds daily stats per model and status, checkpointing as it goes, and rebuilds to the same result', async () => {
    const database = await dbs.open(target);
    const events = new EventStore(database);
    const runner = new ProjectionRunner(database, events, { batchSize: 4 });
    const stats = dailyGenerationStats(database.schema);
    await events.appendAll([
      ...lifecycle('sdxl', 'completed', 1000),
      ...lifecycle('sdxl', 'completed', 3000),
      ...lifecycle('sdxl', 'failed', 500),
      ...lifecycle('flux', 'cancelled', 0),
    ]);
    const first = await runner.catchUp(stats);
    expect(first.processed).toBe(8);
    const today = new Date().toISOString().slice(0, 10);
    const expected = [
      { day: today, model: 'flux', status: 'cancelled', count: 1, averageDurationMs: null },
      { day: today, model: 'flux', status: 'requested', count: 1, averageDurationMs: null },
      { day: today, model: 'sdxl', status: 'completed', count: 2, averageDurationMs: 2000 },
      { day: today, model: 'sdxl', status: 'failed', count: 1, averageDurationMs: 500 },
      { day: today, model: 'sdxl', status: 'requested', count: 3, averageDurationMs: null },
    ];
    expect(await stats.read(database.db)).toEqual(expected);
    // Caught up: a second run applies nothing, so nothing is counted twice.
    expect((await runner.catchUp(stats)).processed).toBe(0);
    expect(await stats.read(database.db)).toEqual(expected);

    await events.appendAll(lifecycle('sdxl', 'completed', 5000));
    expect((await runner.catchUp(stats)).processed).toBe(2);
    const afterMore = await stats.read(database.db);
    expect(afterMore.find((r) => r.status === 'completed')).toMatchObject({
      count: 3,
      averageDurationMs: 3000,
    });

    const rebuilt = await runner.rebuild(stats);
    expect(rebuilt.processed).toBe(10);
    expect(await stats.read(database.db)).toEqual(afterMore);
    expect((await runner.checkpoint(stats.name)).sequence).toBe(rebuilt.position.sequence);
  });

  it('stores typed settings: defaults until set, per-key validation, an event per change', async () => {
    const database = await dbs.open(target);
    const events = new EventStore(database);
    const settings = new SettingsStore(database, events);
    expect(await settings.get('retention.failedMessageDays')).toBe(14);
    await expect(settings.set('retention.failedMessageDays', 91)).rejects.toMatchObject({
      kind: 'validation',
    });
    await expect(settings.set('retention.failedMessageDays', 'ten')).rejects.toMatchObject({
      kind: 'validation',
    });
    await expect(settings.set('no.such.key', 1)).rejects.toMatchObject({ kind: 'not-found' });
    expect(await settings.get('retention.failedMessageDays')).toBe(14);
    await settings.set('retention.failedMessageDays', 30);
    expect(await settings.get('retention.failedMessageDays')).toBe(30);
    const list = await settings.list();
    expect(list.find((s) => s.key === 'retention.failedMessageDays')).toMatchObject({
      value: 30,
      isDefault: false,
    });
    expect(list.find((s) => s.key === 'retry.messagesPerSecond')).toMatchObject({
      value: 50,
      isDefault: true,
    });
    const changes = await events.readStream('settings');
    expect(changes.map((e) => e.event)).toEqual([
      { type: 'SettingChanged', key: 'retention.failedMessageDays', value: 30 },
    ]);
  });
});

describe.each(['pglite', 'postgres'] as const)('projection rebuild in the database on %s', (target) => {
  it('folds to what applying the events gives: days, null durations, other event types; upcast types replay instead', async () => {
    const database = await dbs.open(target);
    const events = new EventStore(database);
    const stats = dailyGenerationStats(database.schema);
    await events.appendAll([
      ...lifecycle('sdxl', 'completed', 1200),
      ...lifecycle('flux', 'failed', 700),
      ...lifecycle('flux', 'cancelled', 0),
    ]);
    // Two days, and the events a generation's stream holds besides the four the fold counts.
    await database.db.execute(
      sql.raw(`update "${database.schema}".events set stored_at = stored_at - interval '1 day'`),
    );
    const failedWithoutDuration = lifecycle('sdxl', 'failed', 0);
    const last = failedWithoutDuration[1]!.event;
    if (last.type === 'GenerationFailed') last.durationMs = null;
    await events.appendAll([...failedWithoutDuration, ...lifecycle('sdxl', 'completed', 300)]);
    await new SettingsStore(database, events).set('retry.messagesPerSecond', 7);
    const total = (
      await rowsOf<{ n: number }>(
        database.db.execute(sql.raw(`select count(*)::int as n from "${database.schema}".events`)),
      )
    )[0]!.n;

    const applied = new ProjectionRunner(database, events, { batchSize: 3 });
    expect((await applied.catchUp(stats)).processed).toBe(total);
    const expected = await stats.read(database.db);
    expect(new Set(expected.map((r) => r.day)).size).toBe(2);
    expect(expected.find((r) => r.status === 'failed' && r.model === 'sdxl')).toMatchObject({
      count: 1,
      averageDurationMs: null,
    });

    const rebuilt = await applied.rebuild(stats);
    expect(rebuilt.processed).toBe(total);
    expect(await stats.read(database.db)).toEqual(expected);
    expect((await applied.checkpoint(stats.name)).sequence).toBe(rebuilt.position.sequence);
    // Caught up where the fold stopped: nothing is applied twice.
    expect((await applied.catchUp(stats)).processed).toBe(0);

    // A store that upcasts completions is replayed event by event, upcaster and all.
    const upcasting = new EventStore(database, {
      versions: { GenerationCompleted: 2 },
      upcasters: { GenerationCompleted: { 1: (p) => ({ ...p, model: `${String(p.model)}-v2` }) } },
    });
    const replayed = await new ProjectionRunner(database, upcasting, { batchSize: 3 }).rebuild(stats);
    expect(replayed.processed).toBe(total);
    const models = (await stats.read(database.db))
      .filter((r) => r.status === 'completed')
      .map((r) => r.model);
    expect(new Set(models)).toEqual(new Set(['sdxl-v2']));
  });
});

describe('projection runner on a real server', () => {
  it('two rebuilds and two ticks at once never count an event twice: the second rebuild joins the first, a tick runs between chunks', async () => {
    const database = await dbs.open('postgres');
    const events = new EventStore(database);
    const runner = new ProjectionRunner(database, events, { batchSize: 50, rebuildChunk: 30 });
    const stats = dailyGenerationStats(database.schema);
    const batch = [];
    for (let i = 0; i < 100; i++) batch.push(...lifecycle(i % 2 ? 'sdxl' : 'flux', 'completed', 100));
    await events.appendAll(batch);
    const results = await Promise.all([
      runner.rebuild(stats),
      runner.rebuild(stats),
      runner.catchUp(stats),
      runner.catchUp(stats),
    ]);
    // Each chunk is folded by whichever rebuild holds the lock first; both end at the feed's head.
    const head = await events.visibleHead();
    expect(results[0].position).toEqual(head);
    expect(results[1].position).toEqual(head);
    // The replay rebuild (no fold in SQL) is one transaction: it and a chunked one never overlap.
    const replay = await Promise.all([
      runner.rebuild({ ...stats, foldInDatabase: undefined }),
      runner.rebuild(stats),
      runner.catchUp(stats),
    ]);
    expect(replay[0].processed).toBe(200);
    const rows = await stats.read(database.db);
    expect(rows.reduce((n, r) => n + r.count, 0)).toBe(200);
    const [{ n }] = (await rowsOf<{ n: number }>(
      database.db.execute(sql.raw(`select count(*)::int as n from "${database.schema}".checkpoints`)),
    )) as [{ n: number }];
    expect(n).toBe(1);
  });
});
