// What a backend's report leaves in the output store when it does not complete its attempt
// (docs/outputs.md#what-an-attempt-leaves-behind): the objects the generation's record does not
// hold are deleted, on the file store and on S3 (fauxqs), on PGlite and PostgreSQL, whichever way
// the report arrived (a v2 token's one statement, a token looked up by its hash, a poll); the
// recorded ones, which a repeat of the recorded bytes writes again under the same keys, never are.
import { randomBytes } from 'node:crypto';
import { silentLogger } from '@genledger/core/ports/logger';
import { acceptCallback } from '@genledger/core/use-cases/backend/accept-callback';
import {
  type BackendAttemptDeps,
  settleBackendOutcome,
} from '@genledger/core/use-cases/backend/settle-outcome';
import { cancelGeneration } from '@genledger/core/use-cases/cancel-generation';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { GenerationStore } from '@genledger/db/generation-store';
import { backendAttemptDeps } from '@genledger/wiring/backend-attempts';
import { keepOutputsDeps } from '@genledger/wiring/outputs';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { rowsOf } from '../../packages/db/src/executor.ts';
import { generationAwaitingBackend } from '../support/awaiting-backend.ts';
import { CURSOR_SECRET, pngKey, sha, tokens } from '../support/callback-server.ts';
import { useDatabases } from '../support/databases.ts';
import { STORE_KINDS, useObjectStores, useUnavailableOutputs } from '../support/output-objects.ts';
import { pngBytes } from '../support/outputs.ts';

const dbs = useDatabases();
const stores = useObjectStores();
/** An output server that answers 503: keeping from it fails transiently (OutputUnavailable). */
const unavailable = useUnavailableOutputs();

const dataUrl = (bytes: Uint8Array) => `data:image/png;base64,${Buffer.from(bytes).toString('base64')}`;
/** Bytes no sniffer recognises: keeping them fails for good (OutputRejected). */
const NOT_AN_IMAGE = dataUrl(new TextEncoder().encode('not an image at all'));
const A = [pngBytes(1, 1), pngBytes(1, 2)];
const B = [pngBytes(2, 1), pngBytes(2, 2)];
/** Cog's prediction object (Cog's HTTP API docs, "Webhooks"): job-n succeeded with these outputs. */
const succeeded = (attempt: number, output: string[]) => ({
  id: `job-${attempt}`,
  status: 'succeeded',
  output,
  metrics: { predict_time: 1 },
});

describe.each(['pglite', 'postgres'] as const)('on %s', (target) => {
  describe.each(STORE_KINDS)('on the %s store', (kind) => {
    let database: Database;
    let deps: BackendAttemptDeps;
    beforeAll(async () => {
      database = await dbs.open(target);
      const env = {
        CURSOR_SECRET,
        GENERATOR_URL: 'cog+http://127.0.0.1:9/',
        QUEUE_URL: 'http://127.0.0.1:9/000000000000/callbacks',
      };
      deps = (await backendAttemptDeps(database, env, silentLogger, {
        keepOutputs: keepOutputsDeps(env, stores[kind].store),
        callbackTokens: tokens,
      }))!;
    });

    /** A generation whose attempt 1 awaits job-1, its token v2 (signed) or legacy (looked up by hash). */
    async function awaitingOne(token: 'v2' | 'legacy') {
      let minted = '';
      const g = await generationAwaitingBackend(database, {
        token: (id, attempt) =>
          (minted ||=
            token === 'v2' ? tokens.mint(id, attempt).token : randomBytes(32).toString('base64url')),
        receipt: () => null,
      });
      await g.awaiting(1);
      const accept = (body: unknown, over: Partial<BackendAttemptDeps> = {}) =>
        acceptCallback({ ...deps, ...over }, minted, {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      return { ...g, accept };
    }
    const cancel = (id: string) =>
      cancelGeneration(
        { generations: new GenerationStore(database, new EventStore(database)) },
        { id, owner: { admin: true } },
      );
    const recordOf = async (id: string) => {
      const [row] = await rowsOf<{ status: string; outputs: { key: string; sha256: string }[] }>(
        database.db.execute(
          sql.raw(`select status, outputs from "${database.schema}".generations where id = '${id}'`),
        ),
      );
      return row!;
    };
    /** The store holds exactly the record's objects, each with the bytes whose sha-256 it holds. */
    const expectOnlyRecorded = async (id: string) => {
      const { outputs } = await recordOf(id);
      expect(await stores[kind].keysOf(id)).toEqual(outputs.map((o) => o.key).sort());
      for (const o of outputs) expect(await stores[kind].shaAt(o.key)).toBe(o.sha256);
    };
    /** keepOutputs, then `meanwhile` before the report goes on to its completion. */
    const keepThen =
      (meanwhile: () => Promise<unknown>): BackendAttemptDeps['keepOutputs'] =>
      async (...args) => {
        const kept = await deps.keepOutputs(...args);
        await meanwhile();
        return kept;
      };

    it('a looked-up token whose attempt was cancelled while its outputs were kept leaves none of them', async () => {
      const g = await awaitingOne('legacy');
      const result = await g.accept(succeeded(1, A.map(dataUrl)), {
        keepOutputs: keepThen(() => cancel(g.id)),
      });
      expect(result).toMatchObject({
        settled: 'ignored',
        reason: 'the attempt ended while its outputs were kept',
      });
      expect((await recordOf(g.id)).status).toBe('cancelled');
      expect(await stores[kind].keysOf(g.id)).toEqual([]);
    });

    it('a poll whose attempt was cancelled while its outputs were kept leaves none of them', async () => {
      const g = await awaitingOne('v2');
      // What pollAttempt does once the backend answered: the attempt as found before the cancel.
      const found = (await deps.lifecycle.findAttempt(g.id, 1))!;
      await cancel(g.id);
      const result = await settleBackendOutcome(
        deps,
        { ...found },
        { status: 'succeeded', outputs: [{ kind: 'url', url: dataUrl(A[0]!) }], metrics: {} },
      );
      expect(result.settled).toBe('ignored');
      expect(await stores[kind].keysOf(g.id)).toEqual([]);
    });

    it('a looked-up repeat of the recorded bytes, beaten by the first, keeps the recorded objects', async () => {
      const g = await awaitingOne('legacy');
      const report = succeeded(1, A.map(dataUrl));
      // The repeat keeps its outputs, then the first report completes the attempt before it can.
      const repeat = await g.accept(report, { keepOutputs: keepThen(() => g.accept(report)) });
      expect(repeat.settled).toBe('ignored');
      const { status, outputs } = await recordOf(g.id);
      expect(status).toBe('completed');
      expect(outputs.map((o) => o.key)).toEqual(A.map((png, i) => pngKey(g.id, 1, png, i)));
      expect(outputs.map((o) => o.sha256)).toEqual(A.map((png) => sha(png)));
      await expectOnlyRecorded(g.id);
    });

    it('a looked-up repeat with other bytes, beaten by the first, deletes its own and keeps the recorded', async () => {
      const g = await awaitingOne('legacy');
      const repeat = await g.accept(succeeded(1, B.map(dataUrl)), {
        keepOutputs: keepThen(() => g.accept(succeeded(1, A.map(dataUrl)))),
      });
      expect(repeat.settled).toBe('ignored');
      expect((await recordOf(g.id)).outputs.map((o) => o.sha256)).toEqual(A.map((png) => sha(png)));
      await expectOnlyRecorded(g.id);
    });

    it('a report naming another job, after the attempt completed with the same bytes, deletes no recorded object', async () => {
      const g = await awaitingOne('v2');
      expect((await g.accept(succeeded(1, A.map(dataUrl)))).settled).toBe('completed');
      const other = { ...succeeded(1, [...A, B[0]!].map(dataUrl)), id: 'job-9' };
      await expect(g.accept(other)).rejects.toMatchObject({ kind: 'validation' });
      await expectOnlyRecorded(g.id);
    });

    it('a keep rejected part-way on a running attempt fails it and leaves nothing it put', async () => {
      for (const token of ['v2', 'legacy'] as const) {
        const g = await awaitingOne(token);
        const result = await g.accept(succeeded(1, [dataUrl(A[0]!), NOT_AN_IMAGE]));
        expect(result.settled).toBe('failed');
        expect(await stores[kind].keysOf(g.id)).toEqual([]);
      }
    });

    it('a repeat rejected part-way after the attempt completed never deletes a recorded object', async () => {
      const g = await awaitingOne('v2');
      expect((await g.accept(succeeded(1, A.map(dataUrl)))).settled).toBe('completed');
      // Output 0 is the recorded bytes (the same key written again); output 1 is not recorded.
      const repeat = await g.accept(succeeded(1, [dataUrl(A[0]!), dataUrl(B[1]!), NOT_AN_IMAGE]));
      expect(repeat.settled).toBe('ignored');
      expect((await recordOf(g.id)).status).toBe('completed');
      await expectOnlyRecorded(g.id);
      expect(await stores[kind].shaAt(pngKey(g.id, 1, A[0]!, 0))).toBe(sha(A[0]!));
    });

    it('a repeat whose fetch fails part-way after the attempt completed never deletes a recorded object', async () => {
      const g = await awaitingOne('legacy');
      const report = succeeded(1, A.map(dataUrl));
      // The repeat puts output 0 (the recorded bytes) and fails on output 1 while the first completes.
      const repeat = g.accept(
        succeeded(1, [dataUrl(A[0]!), dataUrl(B[1]!), `${unavailable.url()}/gone.png`]),
        {
          keepOutputs: async (...args) => {
            try {
              return await deps.keepOutputs(...args);
            } finally {
              await g.accept(report);
            }
          },
        },
      );
      await expect(repeat).rejects.toMatchObject({ errorType: 'OutputUnavailable' });
      expect((await recordOf(g.id)).status).toBe('completed');
      await expectOnlyRecorded(g.id);
    });

    it('a fetch that fails part-way keeps what it put while the attempt is open, and a retry completes with it', async () => {
      const g = await awaitingOne('v2');
      await expect(
        g.accept(succeeded(1, [dataUrl(A[0]!), `${unavailable.url()}/later.png`])),
      ).rejects.toMatchObject({
        errorType: 'OutputUnavailable',
      });
      // Still running: its next report may record these very keys (it writes the same bytes over them).
      expect((await recordOf(g.id)).status).toBe('running');
      expect(await stores[kind].keysOf(g.id)).toEqual([pngKey(g.id, 1, A[0]!, 0)]);
      expect((await g.accept(succeeded(1, A.map(dataUrl)))).settled).toBe('completed');
      await expectOnlyRecorded(g.id);
    });

    it('a fetch that fails part-way for an attempt that has ended leaves nothing it put', async () => {
      const g = await awaitingOne('v2');
      await cancel(g.id);
      await expect(
        g.accept(succeeded(1, [dataUrl(A[0]!), `${unavailable.url()}/late.png`])),
      ).rejects.toMatchObject({
        errorType: 'OutputUnavailable',
      });
      expect(await stores[kind].keysOf(g.id)).toEqual([]);
    });
  });
});
