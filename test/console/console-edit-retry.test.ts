// Edit and retry from the console (ServicePulse's "fix malformed messages"): the edited message is
// checked by the queue message's own schema, refused with the zod issues and what was typed, or
// recorded as a retry batch of one with the edit, who made it and why, and processed as edited.

import { createApp } from '@genledger/api/app';
import { silentLogger } from '@genledger/core/ports/logger';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { GenerationLifecycle } from '@genledger/db/generation-lifecycle';
import { GenerationStore } from '@genledger/db/generation-store';
import { RetryBatchStore } from '@genledger/db/retry-batch-store';
import { httpDeps } from '@genledger/wiring/http-deps';
import { createWorkerHandler } from '@genledger/wiring/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { BASE, consoleSession, csrfOf } from '../support/console-session.ts';
import { useDatabases } from '../support/databases.ts';
import { deadLetter } from '../support/dead-letters.ts';
import { flakyGenerator } from '../support/generators.ts';
import { tempKeepOutputs } from '../support/outputs.ts';
import { recordingQueue, sqsEvent } from '../support/sqs-events.ts';

const dbs = useDatabases();
const { queue, records } = recordingQueue();

let database: Database;
let app: ReturnType<typeof createApp>;
let events: EventStore;
let generations: GenerationStore;
let failed: FailedMessageStore;
let batches: RetryBatchStore;
let adminKey: string;
let adminId: string;
let userKey: string;
const backend = flakyGenerator(1, { permanent: true });
let worker: ReturnType<typeof createWorkerHandler>;

const signIn = (key: string) => consoleSession(app, key);
const unescapeHtml = (html: string) =>
  html.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>');

beforeAll(async () => {
  database = await dbs.open('pglite', { schema: 'console_edit' });
  events = new EventStore(database);
  generations = new GenerationStore(database, events);
  failed = new FailedMessageStore(database, events);
  batches = new RetryBatchStore(database, events);
  const keys = new ApiKeyStore(database, events);
  const admin = await keys.create({ name: 'on call', isAdmin: true });
  adminKey = admin.key;
  adminId = admin.summary!.id;
  userKey = (await keys.create({ name: 'customer', isAdmin: false })).key;
  app = createApp(httpDeps(database, { queue, logger: silentLogger, cursorSecret: 'e'.repeat(40) }));
  worker = createWorkerHandler({
    deps: async () => ({
      lifecycle: new GenerationLifecycle(database, events),
      generations,
      generator: backend.generator,
      outputs: tempKeepOutputs(),
      logger: silentLogger,
      staleAfterMs: 300_000,
    }),
  });
});

/** What an edit must leave alone when it is refused: the message, its stream, the queue, the batches. */
async function snapshot(id: string, generationId: string | null) {
  return {
    message: await failed.get(id),
    stream: (await events.readStream(`failed-message-${id}`)).length,
    generation: generationId ? await generations.get(generationId) : undefined,
    sent: records.length,
    batches: (await batches.list()).length,
  };
}

describe('edit and retry a failed message from the console', () => {
  it('refuses an invalid edit with the zod issues and what was typed, then processes a valid one as edited with its audit trail', async () => {
    const created = await app.request(`${BASE}/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${userKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'a lighthouse at dusk', model: 'sdxl-old', width: 768 }),
    });
    const generationId = ((await created.json()) as { id: string }).id;
    await worker(sqsEvent(records[0]!));
    expect((await generations.get(generationId))?.status).toBe('failed');
    // Its message dead-lettered as the DLQ handler records it.
    const original = records[0]!.body;
    const { id } = await deadLetter(failed, {
      body: original,
      generationId,
      model: 'sdxl-old',
    });

    // A non-admin key may not even see the page.
    const user = await signIn(userKey);
    expect((await user.req(`/console/failed/messages/${id}/edit`)).status).toBe(403);

    const admin = await signIn(adminKey);
    const detail = await (await admin.req(`/console/failed/messages/${id}`)).text();
    expect(detail).toContain(`href="/console/failed/messages/${id}/edit"`);
    const form = await (await admin.req(`/console/failed/messages/${id}/edit`)).text();
    expect(form).toContain('a lighthouse at dusk');
    expect(form).toMatch(/data-testid="last-error"><strong>Last error:<\/strong> [A-Za-z]+: /);
    const csrf = csrfOf(form);
    const submit = (body: string, reason: string) =>
      admin.req(`/console/failed/messages/${id}/edit`, {
        method: 'POST',
        body: new URLSearchParams({ _csrf: csrf, body, reason }),
      });
    const edited = (change: (m: Record<string, any>) => void) => {
      const m = JSON.parse(original);
      change(m);
      return JSON.stringify(m, null, 2);
    };

    const before = await snapshot(id, generationId);
    const invalid = [
      {
        body: edited((m) => (m.request.width = 5)),
        reason: 'smaller',
        shows: ['request.width', '"width": 5'],
      },
      { body: '{"type": "generation.requested", oops', reason: 'typo', shows: ['not valid JSON', 'oops'] },
      { body: edited((m) => (m.request.model = 'sdxl')), reason: '   ', shows: ['reason', 'say why'] },
      {
        body: edited((m) => (m.generationId = crypto.randomUUID())),
        reason: 'other generation',
        shows: ['generationId', `must stay ${generationId}`],
      },
      {
        body: edited((m) => (m.request.webhook = 'https://receiver.example/hook')),
        reason: 'tell me',
        shows: ['request.webhook', 'never change where it goes'],
      },
      { body: original, reason: 'again', shows: ['changes nothing'] },
    ];
    for (const attempt of invalid) {
      const res = await submit(attempt.body, attempt.reason);
      expect(res.status).toBe(400);
      const html = unescapeHtml(await res.text());
      expect(html).toContain('Nothing was sent');
      for (const s of attempt.shows) expect(html).toContain(s);
      // What the operator typed stays in the form.
      expect(html).toContain(attempt.body.split('\n')[0]!);
      if (attempt.reason.trim()) expect(html).toContain(`value="${attempt.reason}"`);
    }
    expect(await snapshot(id, generationId)).toEqual(before);

    const ok = await submit(
      edited((m) => {
        m.request.model = 'sdxl';
        m.request.width = 512;
      }),
      'sdxl-old was retired',
    );
    expect(ok.status).toBe(303);
    const receiptUrl = ok.headers.get('location')!;
    const batchId = /\/console\/retries\/([0-9a-f-]{36})$/.exec(receiptUrl)![1]!;

    // The original stays on record, unchanged, and points at the new attempt.
    const message = await failed.get(id);
    expect(message?.body).toBe(original);
    expect(message?.status).toBe('retry_issued');
    expect(message?.retryBatchId).toBe(batchId);
    // The generation took the edit; the message sent is the edited one.
    const pending = await generations.get(generationId);
    expect(pending).toMatchObject({
      status: 'pending',
      model: 'sdxl',
      width: 512,
      prompt: 'a lighthouse at dusk',
    });
    expect(records).toHaveLength(before.sent + 1);
    expect(JSON.parse(records.at(-1)!.body).request).toMatchObject({ model: 'sdxl', width: 512 });

    // The event log: the edit (what, why) with who, in the transaction of the status changes.
    const stream = await events.readStream(`failed-message-${id}`);
    const edit = stream.find((e) => e.type === 'FailedMessageEdited')!;
    expect(edit.event).toEqual({
      type: 'FailedMessageEdited',
      failedMessageId: id,
      generationId,
      retryBatchId: batchId,
      reason: 'sdxl-old was retired',
      changes: [
        { path: 'request.model', before: 'sdxl-old', after: 'sdxl' },
        { path: 'request.width', before: 768, after: 512 },
      ],
    });
    expect(edit.metadata).toMatchObject({ apiKeyId: adminId, source: 'console' });
    const moved = stream.find((e) => e.type === 'FailedMessageStatusChanged')!;
    expect(moved.position.txId).toBe(edit.position.txId);
    const requeued = (await events.readStream(`generation-${generationId}`)).at(-1)!;
    expect(requeued.event).toMatchObject({ type: 'GenerationRequeued', retryBatchId: batchId });
    expect(requeued.position.txId).toBe(edit.position.txId);

    // The receipt carries the edit, who made it and why.
    const receipt = unescapeHtml(await (await admin.req(receiptUrl)).text());
    expect(receipt).toContain('1 message, edited and retried');
    expect(receipt).toContain('on call');
    expect(receipt).toContain('sdxl-old was retired');
    expect(receipt).toMatch(/<code>request\.model<\/code><\/td><td[^>]*>sdxl-old<\/td><td[^>]*>sdxl<\/td>/);

    // A second submit while the retry is under way changes nothing.
    const twice = await submit(
      edited((m) => (m.request.model = 'sdxl')),
      'again',
    );
    expect(twice.status).toBe(409);
    expect(await twice.text()).toContain('a retry of it is under way');

    // The worker runs the edited request, completes the generation, and the message resolves.
    await worker(sqsEvent(records.at(-1)!));
    expect(backend.calls.at(-1)!.request).toMatchObject({ model: 'sdxl', width: 512 });
    expect((await generations.get(generationId))?.status).toBe('completed');
    expect((await failed.get(id))?.status).toBe('resolved');
    const page = unescapeHtml(await (await admin.req(`/console/failed/messages/${id}`)).text());
    expect(page).toContain('Edits (1)');
    expect(page).toContain('“sdxl-old was retired”');
    expect(page).not.toContain(`/console/failed/messages/${id}/edit"`);
    expect(
      (
        await submit(
          edited((m) => (m.request.model = 'sdxl')),
          'later',
        )
      ).status,
    ).toBe(409);
  });

  it('fixes a malformed message whose generation never existed: the edited body creates and completes it', async () => {
    const generationId = crypto.randomUUID();
    const body = JSON.stringify({
      type: 'generation.requested',
      version: 1,
      generationId,
      request: { prompt: '', model: 'sdxl' },
    });
    const { id } = await deadLetter(failed, {
      body,
      generationId,
      messageType: 'generation.requested',
      invalidReason: 'invalid message: request.prompt: Too small',
    });
    const admin = await signIn(adminKey);
    const detail = await (await admin.req(`/console/failed/messages/${id}`)).text();
    // A plain retry would fail again; edit and retry is offered.
    expect(detail).not.toContain('value="retry"');
    const res = await admin.req(`/console/failed/messages/${id}/edit`, {
      method: 'POST',
      body: new URLSearchParams({
        _csrf: csrfOf(detail),
        body: JSON.stringify({ ...JSON.parse(body), request: { prompt: 'a fixed prompt', model: 'sdxl' } }),
        reason: 'producer sent an empty prompt',
      }),
    });
    expect(res.status).toBe(303);
    expect(await generations.get(generationId)).toBeUndefined();
    await worker(sqsEvent(records.at(-1)!));
    const done = await generations.get(generationId);
    expect(done).toMatchObject({ status: 'completed', prompt: 'a fixed prompt' });
    expect((await failed.get(id))?.status).toBe('resolved');
    expect((await failed.get(id))?.body).toBe(body);
  });

  it('refuses messages without an editable request, with nothing written', async () => {
    const delivery = JSON.stringify({
      type: 'webhook.delivery',
      version: 1,
      deliveryId: crypto.randomUUID(),
    });
    const { id } = await deadLetter(failed, {
      body: delivery,
      generationId: null,
      messageType: 'webhook.delivery',
      model: null,
    });
    const admin = await signIn(adminKey);
    const detail = await (await admin.req(`/console/failed/messages/${id}`)).text();
    expect(detail).not.toContain(`/console/failed/messages/${id}/edit"`);
    const page = await admin.req(`/console/failed/messages/${id}/edit`);
    expect(page.status).toBe(409);
    expect(await page.text()).toContain('a webhook delivery carries no request to edit');
    const before = await snapshot(id, null);
    const post = await admin.req(`/console/failed/messages/${id}/edit`, {
      method: 'POST',
      body: new URLSearchParams({ _csrf: csrfOf(detail), body: delivery, reason: 'try' }),
    });
    expect(post.status).toBe(409);
    expect(await snapshot(id, null)).toEqual(before);
    expect((await admin.req(`/console/failed/messages/${'0'.repeat(64)}/edit`)).status).toBe(404);
  });
});
