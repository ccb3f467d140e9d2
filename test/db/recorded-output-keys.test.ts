// GenerationLifecycle.recordedOutputKeys on each driver: whether an attempt can still complete and,
// once it cannot, the output keys its completion recorded; and, on a real server, that a guarded
// completion which found nothing is followed by a read that sees whatever ended the attempt.
import type { KeptOutput } from '@genledger/core/contracts/outputs';
import { cancelGeneration } from '@genledger/core/use-cases/cancel-generation';
import { EventStore } from '@genledger/db/event-store';
import { GenerationStore } from '@genledger/db/generation-store';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { generationAwaitingBackend, sha256Hex } from '../support/awaiting-backend.ts';
import { useDatabases } from '../support/databases.ts';

const dbs = useDatabases();
const output = (id: string, attempt: number, index = 0): KeptOutput => ({
  key: `generations/${id}/${attempt}/${index}-${sha256Hex(`${id}-${attempt}-${index}`).slice(0, 32)}.png`,
  contentType: 'image/png',
  bytes: 8,
  sha256: sha256Hex(`${id}-${attempt}-${index}`),
});
const receipt = () => null;
const token = (_id: string, attempt: number) => `token-${attempt}`;

describe.each(['pglite', 'postgres'] as const)('recordedOutputKeys on %s', (target) => {
  it('open while the generation runs at the attempt; its completion’s keys after; none for any other attempt', async () => {
    const database = await dbs.open(target);
    const { lifecycle, id, awaiting } = await generationAwaitingBackend(database, { token, receipt });
    await awaiting(1);
    expect(await lifecycle.recordedOutputKeys(id, 1)).toEqual({ attempt: 'open' });
    expect(await lifecycle.recordedOutputKeys(id, 2)).toEqual({ attempt: 'ended', keys: [] });
    const outputs = [output(id, 1, 0), output(id, 1, 1)];
    const completion = { generationId: id, attempt: 1, model: 'flux', promptId: 'job-1', durationMs: 5 };
    expect(await lifecycle.complete({ ...completion, outputs })).toBe(true);
    expect(await lifecycle.recordedOutputKeys(id, 1)).toEqual({
      attempt: 'ended',
      keys: outputs.map((o) => o.key),
    });
    expect(await lifecycle.recordedOutputKeys(id, 0)).toEqual({ attempt: 'ended', keys: [] });
  });

  it('none for a superseded attempt, a cancelled one, or a generation that is gone', async () => {
    const database = await dbs.open(target);
    const { lifecycle, id, awaiting } = await generationAwaitingBackend(database, { token, receipt });
    await awaiting(1);
    await lifecycle.failAttempt({
      generationId: id,
      attempt: 1,
      model: 'flux',
      error: { type: 'BackendTimeout', message: 'deadline' },
      durationMs: 1,
      retriable: true,
    });
    expect(await lifecycle.recordedOutputKeys(id, 1)).toEqual({ attempt: 'ended', keys: [] });
    await awaiting(2);
    expect(await lifecycle.recordedOutputKeys(id, 2)).toEqual({ attempt: 'open' });
    await cancelGeneration(
      { generations: new GenerationStore(database, new EventStore(database)) },
      { id, owner: { admin: true } },
    );
    expect(await lifecycle.recordedOutputKeys(id, 2)).toEqual({ attempt: 'ended', keys: [] });
    expect(await lifecycle.recordedOutputKeys(crypto.randomUUID(), 1)).toEqual({
      attempt: 'ended',
      keys: [],
    });
  });
});

describe('recordedOutputKeys on postgres, after a completion that lost a race', () => {
  it('reads the winner’s keys: the guarded completion that found nothing waited for the winner to commit', async () => {
    const database = await dbs.open('postgres');
    const { lifecycle, id, awaiting } = await generationAwaitingBackend(database, { token, receipt });
    await awaiting(1);
    const winner = new pg.Client({ connectionString: database.config.url });
    await winner.connect();
    try {
      // The winner completes the attempt in a transaction still open when the loser's statement runs.
      await winner.query('begin');
      await winner.query(
        `update "${database.schema}".generations set status = 'completed', outputs = $2::jsonb where id = $1`,
        [id, JSON.stringify([output(id, 1, 0)])],
      );
      const losing = lifecycle.complete({
        generationId: id,
        attempt: 1,
        model: 'flux',
        outputs: [output(id, 1, 1)],
        promptId: null,
        durationMs: 1,
      });
      for (;;) {
        await winner.query('select pg_stat_clear_snapshot()');
        const { rows } = await winner.query(
          `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`,
        );
        if (rows[0].n === 1) break;
        await new Promise((r) => setImmediate(r));
      }
      await winner.query('commit');
      expect(await losing).toBe(false);
      expect(await lifecycle.recordedOutputKeys(id, 1)).toEqual({
        attempt: 'ended',
        keys: [output(id, 1, 0).key],
      });
    } finally {
      await winner.end();
    }
  });
});
