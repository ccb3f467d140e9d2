// GenerationLifecycle.completeByCallback on each driver: the callback's token check, the completion
// and its event in one statement, and the case it found when it completed nothing.
import type { KeptOutput } from '@genledger/core/contracts/outputs';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../packages/db/src/executor.ts';
import { generationAwaitingBackend, sha256Hex } from '../support/awaiting-backend.ts';
import { useDatabases } from '../support/databases.ts';

const dbs = useDatabases();
const hashOf = sha256Hex;
const output = (id: string, attempt: number): KeptOutput => ({
  key: `generations/${id}/${attempt}/0.png`,
  contentType: 'image/png',
  bytes: 8,
  sha256: hashOf(`${id}-${attempt}`),
});

async function setUp(database: Database) {
  const { lifecycle, id, awaiting } = await generationAwaitingBackend(database, {
    token: (_id, attempt) => `token-${attempt}`,
    receipt: () => null,
  });
  const complete = (attempt: number, over: { token?: string; reportedBackendId?: string | null } = {}) =>
    lifecycle.completeByCallback({
      generationId: id,
      attempt,
      tokenHash: hashOf(over.token ?? `token-${attempt}`),
      reportedBackendId: over.reportedBackendId === undefined ? `job-${attempt}` : over.reportedBackendId,
      outputs: [output(id, attempt)],
      backendMetrics: { predictTimeS: 2 },
    });
  const state = async () => {
    const [g] = await rowsOf<Record<string, unknown>>(
      database.db.execute(
        sql.raw(
          `select status, attempts, outputs, prompt_id, duration_ms from "${database.schema}".generations where id = '${id}'`,
        ),
      ),
    );
    const runs = await rowsOf<Record<string, unknown>>(
      database.db.execute(
        sql.raw(
          `select attempt, status, duration_ms, backend_metrics from "${database.schema}".generation_runs where generation_id = '${id}' order by attempt`,
        ),
      ),
    );
    const events = (await new EventStore(database).readStream(`generation-${id}`)).map((e) => e.event);
    return { g, runs, events };
  };
  return { id, lifecycle, awaiting, complete, state };
}

describe.each(['pglite', 'postgres'] as const)('completeByCallback on %s', (target) => {
  it('completes the attempt its token names: prompt id, model and duration from the rows, in the row and its event', async () => {
    const t = await setUp(await dbs.open(target));
    await t.awaiting(1);
    const done = await t.complete(1);
    expect(done).toEqual({ outcome: 'completed', durationMs: expect.any(Number) });
    const { g, runs, events } = await t.state();
    expect(g).toMatchObject({
      status: 'completed',
      prompt_id: 'job-1',
      outputs: [output(t.id, 1)],
      duration_ms: done.outcome === 'completed' ? done.durationMs : -1,
    });
    expect(runs).toEqual([
      { attempt: 1, status: 'completed', duration_ms: g!.duration_ms, backend_metrics: { predictTimeS: 2 } },
    ]);
    expect(events.at(-1)).toEqual({
      type: 'GenerationCompleted',
      generationId: t.id,
      model: 'flux',
      attempt: 1,
      outputPath: output(t.id, 1).key,
      thumbnailPath: null,
      durationMs: g!.duration_ms,
      outputs: [output(t.id, 1)],
    });
  });

  it('changes nothing for an unknown token, another job, a repeated or a superseded callback, and says which', async () => {
    const t = await setUp(await dbs.open(target));
    await t.awaiting(1);
    const before = await t.state();
    expect(await t.complete(1, { token: 'token-other' })).toEqual({ outcome: 'unknown' });
    expect(await t.complete(2)).toEqual({ outcome: 'unknown' });
    expect(await t.complete(1, { reportedBackendId: 'job-9' })).toEqual({ outcome: 'other-job' });
    expect(await t.state()).toEqual(before);
    // A report without a job id is the attempt's.
    expect(await t.complete(1, { reportedBackendId: null })).toMatchObject({ outcome: 'completed' });
    const completed = await t.state();
    expect(await t.complete(1)).toEqual({ outcome: 'ended', recordedKeys: [output(t.id, 1).key] });
    expect(await t.state()).toEqual(completed);
  });

  it('ignores the late callback of a superseded attempt once the next one completed', async () => {
    const t = await setUp(await dbs.open(target));
    await t.awaiting(1);
    await t.lifecycle.failAttempt({
      generationId: t.id,
      attempt: 1,
      model: 'flux',
      error: { type: 'BackendTimeout', message: 'deadline' },
      durationMs: 1,
      retriable: true,
    });
    await t.awaiting(2);
    expect(await t.complete(2)).toMatchObject({ outcome: 'completed' });
    const after = await t.state();
    expect(await t.complete(1)).toEqual({ outcome: 'ended', recordedKeys: [] });
    expect(await t.state()).toEqual(after);
    expect(after.g).toMatchObject({ attempts: 2, outputs: [output(t.id, 2)] });
  });
});

describe('completeByCallback on postgres, racing', () => {
  it('a repeated callback racing the one that completes finds its outputs recorded: nothing for it to delete', async () => {
    const database = await dbs.open('postgres');
    const t = await setUp(database);
    await t.awaiting(1);
    // Both statements start while another transaction holds the generation's row, so both take
    // their snapshots before either completes; the second then waits for the first.
    const holder = new pg.Client({ connectionString: database.config.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`select 1 from "${database.schema}".generations where id = $1 for update`, [t.id]);
      const racing = [t.complete(1), t.complete(1)];
      for (;;) {
        // pg_stat_activity is read once per transaction unless its snapshot is cleared.
        await holder.query('select pg_stat_clear_snapshot()');
        const { rows } = await holder.query(
          `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and query like '%r0 as%'`,
        );
        if (rows[0].n === 2) break;
        await new Promise((r) => setImmediate(r));
      }
      await holder.query('commit');
      const outcomes = await Promise.all(racing);
      expect(outcomes.map((o) => o.outcome).sort()).toEqual(['completed', 'ended']);
      expect(outcomes.find((o) => o.outcome === 'ended')).toEqual({
        outcome: 'ended',
        recordedKeys: [output(t.id, 1).key],
      });
    } finally {
      await holder.end();
    }
  });
});
