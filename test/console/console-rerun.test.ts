// Re-running a permanently failed generation from its console page: failed → pending with its
// event and the operator's key, its message sent again, and a new attempt that completes it.

import { createApp } from '@genledger/api/app';
import { silentLogger } from '@genledger/core/ports/logger';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { GenerationLifecycle } from '@genledger/db/generation-lifecycle';
import { GenerationStore } from '@genledger/db/generation-store';
import { httpDeps } from '@genledger/wiring/http-deps';
import { createWorkerHandler } from '@genledger/wiring/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { BASE, consoleSession, csrfOf } from '../support/console-session.ts';
import { useDatabases } from '../support/databases.ts';
import { flakyGenerator } from '../support/generators.ts';
import { tempKeepOutputs } from '../support/outputs.ts';
import { recordingQueue, sqsEvent } from '../support/sqs-events.ts';

const dbs = useDatabases();
const { queue, records } = recordingQueue();

let database: Database;
let app: ReturnType<typeof createApp>;
let adminKey: string;
let adminId: string;
let userKey: string;

const signIn = (key: string) => consoleSession(app, key);

beforeAll(async () => {
  database = await dbs.open('pglite', { schema: 'console_rerun' });
  const keys = new ApiKeyStore(database, new EventStore(database));
  const admin = await keys.create({ name: 'on call', isAdmin: true });
  adminKey = admin.key;
  adminId = admin.summary!.id;
  userKey = (await keys.create({ name: 'customer', isAdmin: false })).key;
  app = createApp(httpDeps(database, { queue, logger: silentLogger, cursorSecret: 'r'.repeat(40) }));
});

describe('re-running a failed generation from the console', () => {
  it('sends a rejected generation again as a new attempt, records who did it, and refuses anything not failed', async () => {
    const events = new EventStore(database);
    const generations = new GenerationStore(database, events);
    const backend = flakyGenerator(1, { permanent: true });
    const worker = createWorkerHandler({
      deps: async () => ({
        lifecycle: new GenerationLifecycle(database, events),
        generations,
        generator: backend.generator,
        outputs: tempKeepOutputs(),
        logger: silentLogger,
        staleAfterMs: 300_000,
      }),
    });
    const created = await app.request(`${BASE}/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${userKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a rejected harbour' }),
    });
    const id = ((await created.json()) as { id: string }).id;
    await worker(sqsEvent(records[0]!));
    expect((await generations.get(id))?.status).toBe('failed');
    expect((await generations.get(id))?.errorMessage).toContain('backend said no');

    // Its owner, not an admin, sees no re-run and may not post one.
    const user = await signIn(userKey);
    const userPage = await (await user.req(`/console/generations/${id}`)).text();
    expect(userPage).not.toContain('Re-run generation');
    const forbidden = await user.req(`/console/generations/${id}/rerun`, {
      method: 'POST',
      body: new URLSearchParams({ _csrf: csrfOf(userPage) }),
    });
    expect(forbidden.status).toBe(403);
    expect((await generations.get(id))?.status).toBe('failed');

    const admin = await signIn(adminKey);
    const detail = await (await admin.req(`/console/generations/${id}`)).text();
    expect(detail).toContain('data-confirm="Re-run this failed generation as a new attempt?"');
    const rerun = () =>
      admin.req(`/console/generations/${id}/rerun`, {
        method: 'POST',
        body: new URLSearchParams({ _csrf: csrfOf(detail) }),
      });
    const done = await rerun();
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`/console/generations/${id}`);
    const pending = await generations.get(id);
    expect(pending?.status).toBe('pending');
    expect(pending?.errorMessage).toBeNull();
    const stream = await events.readStream(`generation-${id}`);
    const requeued = stream.at(-1)!;
    expect(requeued.event).toEqual({
      type: 'GenerationRequeued',
      generationId: id,
      model: pending!.model,
      retryBatchId: null,
    });
    expect(requeued.metadata).toMatchObject({ apiKeyId: adminId, source: 'console' });
    expect(records).toHaveLength(2);

    // A second click finds it pending: 409, nothing written, nothing sent.
    const again = await rerun();
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('only a failed generation can be re-run');
    expect(await events.readStream(`generation-${id}`)).toHaveLength(stream.length);
    expect(records).toHaveLength(2);

    // The message sent again runs as the next attempt, after the rejected one.
    await worker(sqsEvent(records[1]!));
    const completed = await generations.get(id);
    expect(completed?.status).toBe('completed');
    expect(backend.calls.map((j) => j.attempt)).toEqual([1, 2]);
    const page = await (await admin.req(`/console/generations/${id}`)).text();
    expect(page).not.toContain('Re-run generation');
    expect(page).toContain('GenerationRequeued');
    // Completed is final: a re-run is refused.
    expect((await rerun()).status).toBe(409);
  });
});
