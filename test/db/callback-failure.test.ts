// GenerationLifecycle.failByCallback on each driver: the callback's token check, the failed attempt
// and its events in one statement, written as failAttempt writes them, and the case it found when
// it wrote nothing.
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../packages/db/src/executor.ts';
import { generationAwaitingBackend, sha256Hex } from '../support/awaiting-backend.ts';
import { useDatabases } from '../support/databases.ts';

const dbs = useDatabases();
const hashOf = sha256Hex;
const error = { type: 'GeneratorFailed', message: 'CUDA out of memory' };

async function setUp(database: Database) {
  const { lifecycle, id, awaiting } = await generationAwaitingBackend(database, {
    token: (id, attempt) => `${id}-token-${attempt}`,
    receipt: (attempt) => `receipt-${attempt}`,
  });
  const fail = (
    attempt: number,
    over: { token?: string; reportedBackendId?: string | null; retriable?: boolean } = {},
  ) =>
    lifecycle.failByCallback({
      generationId: id,
      attempt,
      tokenHash: hashOf(over.token ?? `${id}-token-${attempt}`),
      reportedBackendId: over.reportedBackendId === undefined ? `job-${attempt}` : over.reportedBackendId,
      error,
      retriable: over.retriable ?? true,
      backendMetrics: { predictTimeS: 2 },
    });
  /** What the database holds for it, without what differs between two generations (ids, times). */
  const state = async () => {
    const [g] = await rowsOf<Record<string, unknown>>(
      database.db.execute(
        sql.raw(
          `select status, attempts, error_message, completed_at is null as open from "${database.schema}".generations where id = '${id}'`,
        ),
      ),
    );
    const runs = await rowsOf<Record<string, unknown>>(
      database.db.execute(
        sql.raw(
          `select attempt, status, duration_ms, error_type, error_message, error_stack, backend_metrics,
                  reported_at is not null as reported, completed_at is not null as closed
           from "${database.schema}".generation_runs where generation_id = '${id}' order by attempt`,
        ),
      ),
    );
    const stored = await new EventStore(database).readStream(`generation-${id}`);
    const events = stored.map((e) => ({ ...e.event, generationId: 'g' }) as Record<string, unknown>);
    return {
      g,
      runs,
      events,
      versions: stored.map((e) => e.streamVersion),
      sequences: stored.map((e) => e.sequence),
    };
  };
  return { id, lifecycle, awaiting, fail, state };
}

/** A state with the durations (measured by whoever failed it) left out. */
const withoutDurations = (s: Awaited<ReturnType<Awaited<ReturnType<typeof setUp>>['state']>>) => ({
  ...s,
  sequences: undefined,
  runs: s.runs.map((r) => ({ ...r, duration_ms: undefined })),
  events: s.events.map((e) => ({ ...e, durationMs: undefined })),
});

describe.each(['pglite', 'postgres'] as const)('failByCallback on %s', (target) => {
  it.each([true, false])(
    'writes what failAttempt writes (retriable: %s), model and duration from the rows',
    async (retriable) => {
      const database = await dbs.open(target);
      const byCallback = await setUp(database);
      await byCallback.awaiting(1);
      expect(await byCallback.fail(1, { retriable })).toEqual({
        outcome: 'failed',
        receiptHandle: 'receipt-1',
      });

      const byWorker = await setUp(database);
      await byWorker.awaiting(1);
      expect(
        await byWorker.lifecycle.failAttempt({
          generationId: byWorker.id,
          attempt: 1,
          model: 'flux',
          error,
          durationMs: 5,
          retriable,
          backendMetrics: { predictTimeS: 2 },
        }),
      ).toBe(true);

      const got = await byCallback.state();
      expect(withoutDurations(got)).toEqual(withoutDurations(await byWorker.state()));
      expect(got.g).toMatchObject({ status: retriable ? 'pending' : 'failed', open: retriable });
      expect(got.events.map((e) => e.type)).toEqual(
        retriable
          ? ['GenerationStarted', 'GenerationAttemptFailed']
          : ['GenerationStarted', 'GenerationAttemptFailed', 'GenerationFailed'],
      );
      expect(got.versions).toEqual(got.events.map((_, i) => i + 1));
      expect(got.sequences).toEqual([...got.sequences].sort((a, b) => a - b));
      const duration = got.runs[0]!.duration_ms as number;
      expect(duration).toBeGreaterThanOrEqual(0);
      if (!retriable)
        expect(got.events.at(-1)).toMatchObject({ model: 'flux', attempts: 1, durationMs: duration });
    },
  );

  it('changes nothing for an unknown token, another job, a repeated or a superseded report, and says which', async () => {
    const t = await setUp(await dbs.open(target));
    await t.awaiting(1);
    const before = await t.state();
    expect(await t.fail(1, { token: 'token-other' })).toEqual({ outcome: 'unknown' });
    expect(await t.fail(2)).toEqual({ outcome: 'unknown' });
    expect(await t.fail(1, { reportedBackendId: 'job-9' })).toEqual({ outcome: 'other-job' });
    expect(await t.state()).toEqual(before);
    // A report without a job id is the attempt's.
    expect(await t.fail(1, { reportedBackendId: null })).toMatchObject({ outcome: 'failed' });
    const failed = await t.state();
    expect(await t.fail(1)).toEqual({ outcome: 'ended' });
    expect(await t.state()).toEqual(failed);
    // The next attempt runs; the first one's late report finds it superseded.
    await t.awaiting(2);
    const running = await t.state();
    expect(await t.fail(1)).toEqual({ outcome: 'ended' });
    expect(await t.state()).toEqual(running);
  });
});
