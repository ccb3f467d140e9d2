import { createApp } from '@genledger/api/app';
import { noQueue } from '@genledger/api/no-queue';
import type { BackendHealthReport } from '@genledger/core/ports/generator-health';
import type { Logger } from '@genledger/core/ports/logger';
import { changeFailedMessageStatus } from '@genledger/core/use-cases/failed-messages/change-status';
import { judgeGeneratorHealth } from '@genledger/core/use-cases/judge-generator-health';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { ConsoleReads } from '@genledger/db/read-models/console-read-model';
import { httpDeps } from '@genledger/wiring/http-deps';
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';
import { deadLetter } from '../support/dead-letters.ts';

const dbs = useDatabases();

/**
 * What an on-call operator relies on, at the HTML level: generator health judged by the run
 * journal (and the backend's own report), generations counted once by final status, the retry
 * preview's warning, banners that no URL can write, settled groups out of the way.
 */
const BASE = 'http://localhost';
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
let database: Database;
let app: ReturnType<typeof createApp>;
let cookie: string;
let backend: BackendHealthReport | undefined;
let adminKey: string;
let reads: ConsoleReads;

const req = (path: string, init: RequestInit = {}) =>
  app.request(`${BASE}${path}`, {
    ...init,
    headers: { cookie, origin: BASE, ...(init.headers as Record<string, string>) },
    redirect: 'manual',
  });
const page = async (path: string) => (await req(path)).text();

/** A generation of `model` and its attempts, as the worker's run journal records them. */
async function generationWithRuns(model: string, status: string, runs: ('completed' | 'failed')[]) {
  const id = crypto.randomUUID();
  const s = database.schema;
  await database.db.execute(
    sql.raw(
      `insert into "${s}".generations (id, prompt, model, status, created_at) values ('${id}', 'a ${model} prompt', '${model}', '${status}', now() - interval '30 seconds')`,
    ),
  );
  for (const [i, run] of runs.entries()) {
    const error = run === 'failed' ? `'GeneratorUnavailable', 'backend answered 503'` : 'null, null';
    await database.db.execute(
      sql.raw(`insert into "${s}".generation_runs (generation_id, attempt, status, started_at, completed_at, duration_ms, error_type, error_message)
        values ('${id}', ${i + 1}, '${run}', now() - interval '20 seconds', now() - interval '${10 - i} seconds', 1000, ${error})`),
    );
  }
  return id;
}

async function settings(key: string, value: string) {
  const html = await page('/console/settings');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  const res = await req('/console/settings', {
    method: 'POST',
    body: new URLSearchParams({ key, value, _csrf: csrf }),
  });
  expect(res.status).toBe(303);
}

/** The generations list's total, as its caption shows it. */
const totalOf = (html: string) =>
  /<span data-total[^>]*>(.*?) matching<\/span>/.exec(html)?.[1]?.replace(/<[^>]+>/g, '');

const card = (html: string, name: string) =>
  new RegExp(`<div class="card state-(\\w+)" data-check="${name}">`).exec(html)?.[1];

beforeAll(async () => {
  database = await dbs.open('pglite', { schema: 'console_oncall' });
  const keys = new ApiKeyStore(database, new EventStore(database));
  reads = new ConsoleReads(database, new EventStore(database));
  adminKey = (await keys.create({ name: 'on call', isAdmin: true })).key;
  app = createApp(
    httpDeps(database, {
      queue: noQueue,
      logger: silent,
      cursorSecret: 'o'.repeat(40),
      backendHealth: async () => backend ?? { state: 'ready', detail: 'READY' },
    }),
  );
  const res = await app.request(`${BASE}/console/signin`, {
    method: 'POST',
    body: new URLSearchParams({ key: adminKey }),
    headers: { origin: BASE },
  });
  cookie = res.headers.get('set-cookie')!.split(';')[0]!;
});

describe('console for on-call (HTML level)', () => {
  it('judges the generator by its recent attempts and its own report, not by whether it answers', async () => {
    const quiet = await page('/console/');
    expect(card(quiet, 'generator')).toBe('Healthy');
    expect(quiet).toContain('no attempts finished in the last 5 min');
    // A total outage: every attempt answered 503.
    for (let i = 0; i < 3; i++) await generationWithRuns('sdxl', 'pending', ['failed']);
    const outage = await page('/console/');
    expect(card(outage, 'generator')).toBe('Unhealthy');
    expect(card(outage, 'overall')).toBe('Unhealthy');
    expect(outage).toContain(
      '3 of 3 attempts failed in the last 5 min (0.6/min), last: GeneratorUnavailable',
    );
    // The live part says the same on its next poll.
    expect(card(await page('/console/overview/live'), 'generator')).toBe('Unhealthy');
    // Per model, the last 15 minutes against the hour before; red past the threshold (a setting)
    // and rising.
    const row = (html: string) =>
      /<tr class="([^"]*)" data-key="sdxl"><td>sdxl<\/td><td class="num">(\d+)<\/td>/.exec(html)?.slice(1);
    expect(row(outage)).toEqual(['', '3']);
    await settings('alerts.failuresPerMinute', '0.2');
    expect(row(await page('/console/'))).toEqual(['state-Unhealthy', '3']);
    await settings('alerts.failuresPerMinute', '1');
    // Latency per model: queue wait and processing time.
    expect(outage).toMatch(
      /<td>sdxl<\/td><td class="num">3<\/td><td class="num">\d{4,5} ms \/ \d{4,5} ms<\/td><td class="num">1000 ms \/ 1000 ms<\/td>/,
    );
    // The backend's own report can only make it worse.
    backend = { state: 'setup_failed', detail: 'SETUP_FAILED: weights missing' };
    await generationWithRuns('flux', 'completed', ['completed', 'completed', 'completed', 'completed']);
    const setup = await page('/console/');
    expect(card(setup, 'generator')).toBe('Unhealthy');
    expect(setup).toContain('backend reports setup failed: SETUP_FAILED: weights missing');
    backend = undefined;
  });

  it('judges health from outcomes: red for an outage, amber past the threshold, green otherwise', () => {
    const o = (completed: number, failed: number) => ({
      windowMinutes: 5,
      completed,
      failed,
      lastFailureAt: null,
      lastErrorType: null,
    });
    expect(judgeGeneratorHealth(o(0, 0), 1).status).toBe('Healthy');
    expect(judgeGeneratorHealth(o(0, 3), 1).status).toBe('Unhealthy');
    expect(judgeGeneratorHealth(o(100, 6), 1).status).toBe('Degraded');
    expect(judgeGeneratorHealth(o(100, 4), 1).status).toBe('Healthy');
    expect(judgeGeneratorHealth(o(0, 1), 1).status).toBe('Degraded');
    expect(judgeGeneratorHealth(o(5, 0), 1, { state: 'busy', detail: 'BUSY' }).status).toBe('Healthy');
    expect(judgeGeneratorHealth(o(5, 0), 1, { state: 'unreachable', detail: 'refused' }).status).toBe(
      'Unhealthy',
    );
  });

  it('counts generations once by final status, with attempts as a separate figure', async () => {
    // 3 generations that failed once and succeeded on retry: 3 completed, not 6 finished.
    for (let i = 0; i < 3; i++) await generationWithRuns('retried', 'completed', ['failed', 'completed']);
    const html = await page('/console/');
    const figure = /<strong>retried<\/strong>(.*?)<\/figcaption>/s.exec(html)?.[1] ?? '';
    expect(figure).toContain('generations: 3 completed · 0 failed (0%)');
    expect(figure).toContain('attempts: 6 · 3 failed (50% attempt failure rate)');
  });

  it('shows one classifier at a time, sorted, with a sample error', async () => {
    const store = new FailedMessageStore(database, new EventStore(database));
    await deadLetter(store, { model: 'triage-a' });
    await deadLetter(store, { model: 'triage-b' });
    await deadLetter(store, { model: 'triage-b' });
    const titles = (html: string) =>
      [
        ...html.matchAll(
          /<tr data-row="true" data-group="[0-9a-f]+"><td><span class="muted small">([^<]+)<\/span><br\/><a [^>]+>([^<]+)<\/a>/g,
        ),
      ].map((m) => `${m[1]}: ${m[2]}`);
    const byModel = titles(await page('/console/failed?by=model&sort=unresolved'));
    expect(byModel.slice(0, 2)).toEqual(['model: triage-b', 'model: triage-a']);
    expect(new Set(byModel.map((t) => t.split(':')[0]))).toEqual(new Set(['model']));
    const byType = titles(await page('/console/failed?by=message-type'));
    expect(byType).toEqual(['message-type: generation.requested']);
    expect(await page('/console/failed?by=model')).toContain('data-testid="sample-error"');
  });

  it('cancels a pending generation from its page, once, and shows failed ones with their error', async () => {
    const id = await generationWithRuns('cancel-model', 'pending', []);
    const detail = await page(`/console/generations/${id}`);
    expect(detail).toContain('data-confirm="Cancel this generation?"');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(detail)![1]!;
    const cancel = () =>
      req(`/console/generations/${id}/cancel`, {
        method: 'POST',
        body: new URLSearchParams({ _csrf: csrf }),
      });
    const first = await cancel();
    expect(first.headers.get('location')).toBe(`/console/generations/${id}`);
    const flash = /gl_flash=([^;]+)/.exec(first.headers.get('set-cookie')!)![1]!;
    const shown = await (
      await app.request(`${BASE}/console/generations/${id}`, {
        headers: { cookie: `${cookie}; gl_flash=${flash}` },
      })
    ).text();
    expect(shown).toContain('data-testid="flash-text">Cancelled.<');
    expect(shown).not.toContain('Cancel generation');
    const again = await cancel();
    const refused = /gl_flash=([^;]+)/.exec(again.headers.get('set-cookie')!)![1]!;
    const told = await (
      await app.request(`${BASE}/console/generations/${id}`, {
        headers: { cookie: `${cookie}; gl_flash=${refused}` },
      })
    ).text();
    expect(told).toMatch(/data-testid="flash-text">Not cancelled: /);
    await database.db.execute(
      sql.raw(
        `update "${database.schema}".generations set status = 'failed', error_message = 'GeneratorRejected: NSFW prompt' where id = '${id}'`,
      ),
    );
    expect(await page('/console/generations?model=cancel-model')).toContain('GeneratorRejected: NSFW prompt');
  });

  it('counts every generation the search matches, on every page, up to the cap', async () => {
    for (let i = 0; i < 27; i++) await generationWithRuns('count-model', i < 26 ? 'completed' : 'failed', []);
    const first = await page('/console/generations?model=count-model');
    expect(totalOf(first)).toBe('27');
    const next = /<a href="([^"]+)" rel="next">/.exec(first)![1]!.replaceAll('&amp;', '&');
    expect(totalOf(await page(next))).toBe('27');
    expect(totalOf(await page('/console/generations?model=count-model&status=failed'))).toBe('1');
    expect(totalOf(await page('/console/generations?model=nobody'))).toBe('0');
    // Past the cap the count stops: it walks at most cap + 1 rows of the same search.
    expect(await reads.countGenerations({ admin: true }, { model: 'count-model' }, 20)).toEqual({
      n: 20,
      more: true,
    });
    expect(
      await reads.countGenerations({ admin: true }, { model: 'count-model', statuses: ['failed'] }, 20),
    ).toEqual({
      n: 1,
      more: false,
    });
  });

  it('pages back through the event log, the archive included, with who did each change', async () => {
    for (let i = 0; i < 60; i++)
      await app.request(`${BASE}/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: `event ${i}` }),
      });
    const schema = `"${database.schema}"`;
    // The oldest events moved to the archive, as maintenance does.
    await database.db.execute(
      sql.raw(`with moved as (delete from ${schema}.events where sequence <= 5 returning *)
        insert into ${schema}.events_archive (sequence, stream_id, stream_version, event_type, event_version, payload, metadata, tx_id, stored_at)
        select sequence, stream_id, stream_version, event_type, event_version, payload, metadata, tx_id, stored_at from moved`),
    );
    const sequences = (html: string) =>
      [...html.matchAll(/<tr data-row="true"><td class="num">(\d+)<\/td>/g)].map((m) => Number(m[1]));
    let html = await page('/console/events');
    expect(html).toContain('hx-trigger="every 2s, console:visible"');
    // Each row's payload expands in full, with the metadata that names who did it; the client
    // script holds the refresh while one is open, so the poll does not fold it away.
    const expanded =
      /<details><summary><code>[^<]*<\/code><\/summary><pre tabindex="0" data-testid="payload">([^<]*)<\/pre><\/details>/.exec(
        html,
      )?.[1];
    const payload = JSON.parse(expanded!.replaceAll('&quot;', '"')) as {
      payload: { request: { prompt: string } };
      metadata: { apiKeyId?: string; requestId?: string };
    };
    expect(payload.payload.request.prompt).toBe('event 59');
    expect(payload.metadata.requestId).toBeTruthy();
    expect(
      await (await app.request(`${BASE}${/src="(\/console\/assets\/console[^"]+)"/.exec(html)![1]}`)).text(),
    ).toContain("elt.querySelector('details[open]')");
    const seen: number[] = [];
    for (let pages = 0; pages < 20; pages++) {
      seen.push(...sequences(html));
      const older = /<a href="([^"]+)" rel="next">Older<\/a>/.exec(html)?.[1]?.replaceAll('&amp;', '&');
      if (!older) break;
      html = await page(older);
      // History does not change: it is not polled.
      expect(html).not.toContain('every 2s');
    }
    expect(seen.length).toBeGreaterThan(50);
    expect(seen).toEqual([...seen].sort((a, b) => b - a));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.at(-1)).toBe(1);
    expect(html).toContain('on call (');
  });

  it('never shows banner text from the URL', async () => {
    const store = new FailedMessageStore(database, new EventStore(database));
    const { id } = await deadLetter(store);
    for (const path of [
      '/console/failed?done=Call%20555-0100%20now',
      `/console/failed/messages?error=Call%20555-0100%20now`,
      `/console/failed/messages/${id}?done=Call%20555-0100%20now&error=Call%20555-0100%20now`,
      '/console/settings?saved=Call%20555-0100%20now',
    ]) {
      // What the page says (a live list's own URL, in an attribute, says nothing).
      const text = (await page(path)).replace(/<[^>]+>/g, ' ');
      expect(text, path).not.toContain('555-0100');
    }
  });

  it('warns of a failure still happening only for unresolved messages, and says when nothing is left to retry', async () => {
    const store = new FailedMessageStore(database, new EventStore(database));
    const a = await deadLetter(store, { model: 'preview-model' });
    await deadLetter(store, { model: 'preview-model' });
    const group = (await store.groups()).find((g) => g.title === 'preview-model')!;
    const live = await page(`/console/retry/preview?groupId=${group.id}`);
    expect(live).toContain('The same failure is still happening');
    // Every message of the group succeeded on retry.
    await changeFailedMessageStatus(
      { failedMessages: store },
      'resolve',
      { groupId: group.id },
      { requestedBy: null },
    );
    const settled = await page(`/console/retry/preview?groupId=${group.id}`);
    expect(settled).not.toContain('still happening');
    expect(settled).toContain('data-testid="nothing-to-retry"');
    expect(settled).toMatch(/<button type="submit" disabled="">\s*Send 0 messages/);
    expect(a.id).toBeDefined();
    // The settled group is hidden from the groups page, and shown with its actions off on request.
    const groups = await page('/console/failed?by=model');
    expect(groups).not.toContain(`data-group="${group.id}"`);
    const all = await page('/console/failed?by=model&all=1');
    const row =
      new RegExp(`<tr data-row="[^"]*" data-group="${group.id}">.*?</tr>`, 's').exec(all)?.[0] ?? '';
    expect(row).toMatch(/<button type="submit" name="op" value="archive" class="secondary" disabled=""/);
    expect(row).toMatch(/<button type="submit" name="op" value="resolve" class="secondary" disabled=""/);
    expect(row).toMatch(/<button type="button" disabled="" title="nothing unresolved to retry"/);
  });
});
