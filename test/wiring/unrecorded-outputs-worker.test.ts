// What the synchronous worker leaves in the output store when its attempt does not complete
// (docs/outputs.md#what-an-attempt-leaves-behind): nothing, on the file store and on S3 (fauxqs),
// on PGlite and PostgreSQL. A generation cancelled or taken over while generating, and outputs
// rejected or unavailable part-way, leave none of the objects the attempt wrote.
import type { OutputSource } from '@genledger/core/contracts/outputs';
import type { Generator } from '@genledger/core/ports/generator';
import { silentLogger } from '@genledger/core/ports/logger';
import { cancelGeneration } from '@genledger/core/use-cases/cancel-generation';
import {
  type ProcessMessageDeps,
  processGenerationMessage,
  RetryLater,
} from '@genledger/core/use-cases/process-generation-message';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { GenerationLifecycle } from '@genledger/db/generation-lifecycle';
import { GenerationStore } from '@genledger/db/generation-store';
import { keepOutputsDeps } from '@genledger/wiring/outputs';
import { beforeAll, describe, expect, it } from 'vitest';
import { pngKey, sha } from '../support/callback-server.ts';
import { useDatabases } from '../support/databases.ts';
import { STORE_KINDS, useObjectStores, useUnavailableOutputs } from '../support/output-objects.ts';
import { pngBytes } from '../support/outputs.ts';
import { message } from '../support/sqs-events.ts';

const dbs = useDatabases();
const stores = useObjectStores();
/** An output server that answers 503: keeping from it fails transiently (OutputUnavailable). */
const unavailable = useUnavailableOutputs();

const PNGS = [pngBytes(3, 1), pngBytes(3, 2)];
const bytes = (body: Uint8Array): OutputSource => ({ kind: 'bytes', body });

describe.each(['pglite', 'postgres'] as const)('the worker on %s', (target) => {
  describe.each(STORE_KINDS)('on the %s store', (kind) => {
    let database: Database;
    let generations: GenerationStore;
    beforeAll(async () => {
      database = await dbs.open(target);
      generations = new GenerationStore(database, new EventStore(database));
    });

    /** One delivery of a fresh producer-sent generation to a worker running `generate`. */
    async function run(generate: Generator['generate']) {
      const m = message();
      const deps: ProcessMessageDeps = {
        lifecycle: new GenerationLifecycle(database, new EventStore(database)),
        generations,
        generator: { name: 'test', generate },
        outputs: keepOutputsDeps({}, stores[kind].store),
        logger: silentLogger,
        staleAfterMs: 60_000,
      };
      const outcome = processGenerationMessage(deps, {
        messageId: crypto.randomUUID(),
        body: JSON.stringify(m),
        receiveCount: 1,
        queue: 'generations',
      });
      return { id: m.generationId, outcome };
    }
    const objects = (id: string) => stores[kind].keysOf(id);

    it('completes with exactly the objects it records', async () => {
      const { id, outcome } = await run(async () => ({ outputs: PNGS.map(bytes) }));
      expect((await outcome).status).toBe('completed');
      const record = (await generations.get(id))!;
      expect(await objects(id)).toEqual(PNGS.map((png, i) => pngKey(id, 1, png, i)).sort());
      for (const o of record.outputs ?? []) expect(await stores[kind].shaAt(o.key)).toBe(o.sha256);
      expect(record.outputs?.map((o) => o.sha256)).toEqual(PNGS.map((png) => sha(png)));
    });

    it('cancelled while generating: the objects it kept are deleted', async () => {
      const { id, outcome } = await run(async (job) => {
        // The operator cancels while the generator holds the job; it answers anyway.
        await cancelGeneration({ generations }, { id: job.generationId, owner: { admin: true } });
        return { outputs: PNGS.map(bytes) };
      });
      expect(await outcome).toMatchObject({
        status: 'skipped',
        reason: 'cancelled or taken over while generating',
      });
      expect((await generations.get(id))?.status).toBe('cancelled');
      expect(await objects(id)).toEqual([]);
    });

    it('an output rejected part-way: the generation fails and what was put before is deleted', async () => {
      const notAnImage = new TextEncoder().encode('plain text, no image');
      const { id, outcome } = await run(async () => ({ outputs: [bytes(PNGS[0]!), bytes(notAnImage)] }));
      expect(await outcome).toMatchObject({ status: 'failed' });
      expect((await generations.get(id))?.status).toBe('failed');
      expect(await objects(id)).toEqual([]);
    });

    it('an output unavailable part-way: retried later, and what was put before is deleted', async () => {
      const { id, outcome } = await run(async () => ({
        outputs: [bytes(PNGS[0]!), { kind: 'url', url: `${unavailable.url()}/out.png` }],
      }));
      await expect(outcome).rejects.toBeInstanceOf(RetryLater);
      // The attempt ended (back to pending for the next one): nothing it wrote can be recorded.
      expect((await generations.get(id))?.status).toBe('pending');
      expect(await objects(id)).toEqual([]);
    });
  });
});
