import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinGenerator } from '@genledger/adapters/generators/builtin-generator';
import { type Generator, GeneratorError } from '@genledger/core/ports/generator';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { type LocalServer, startLocalServer } from '@genledger/local/server';
import chromium from '@sparticuz/chromium';
import { type Browser, type BrowserContext, type Page, chromium as playwright } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessibility } from '../support/axe.ts';
import { useDatabases } from '../support/databases.ts';

const dbs = useDatabases();

/**
 * The console in a real Chromium: `@sparticuz/chromium` ships the browser inside the npm package
 * (CHROMIUM_PATH picks a system one instead), playwright-core drives it. The app runs in-process:
 * the local stack (PGlite, local queue, worker, DLQ handler) with a generator backend the test
 * can break and mend. `npm run console:screenshots` runs this file and saves the pages to
 * docs/console/.
 */
const ADMIN_KEY = `console-browser-admin-${'a'.repeat(32)}`;
const SCREENSHOTS = process.env.CONSOLE_SCREENSHOTS;

let dir: string;
let database: Database;
let server: LocalServer;
let browser: Browser;
let clientKey: string;
let failing = false;
/** Pages with an id in their URL, visited by the flows, for the accessibility check. */
const visited: string[] = [];
/** Script errors, console errors and failed requests, per page, across every flow. */
const problems: string[] = [];

/** What confirmation dialogs asked, in order; each is accepted. */
const dialogs: string[] = [];

function watch(page: Page, expectedStatuses: number[] = []) {
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.accept();
  });
  page.on('pageerror', (e) => problems.push(`pageerror ${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    // A document answered with an expected status (a 403 for a non-admin) is logged as a load error.
    if (expectedStatuses.some((s) => m.text().includes(`status of ${s}`))) return;
    problems.push(`console ${page.url()}: ${m.text()}`);
  });
  page.on('requestfailed', (r) => {
    // Navigating away while a poll is in flight aborts it: not a failure of the console.
    if (r.failure()?.errorText.includes('ERR_ABORTED') && r.resourceType() === 'xhr') return;
    problems.push(`requestfailed ${r.url()}: ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !expectedStatuses.includes(r.status()))
      problems.push(`HTTP ${r.status()} ${r.url()}`);
  });
  return page;
}

async function shot(page: Page, name: string) {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

async function api(path: string, body: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(path === '/webhook-endpoints' ? 201 : 202);
  return (await res.json()) as { id: string };
}

async function signIn(context: BrowserContext, key: string) {
  const page = await context.newPage();
  await page.goto(`${server.url}/`);
  await page.waitForURL(/\/console\/signin$/);
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return page;
}

beforeAll(async () => {
  // Chromium starts (on a fresh clone @sparticuz/chromium unpacks it first) while the app does.
  const [launched, started] = await Promise.allSettled([launchBrowser(), startApp()]);
  if (launched.status === 'fulfilled') browser = launched.value;
  for (const r of [launched, started]) if (r.status === 'rejected') throw r.reason;
});

async function startApp() {
  dir = mkdtempSync(join(tmpdir(), 'gl-console-'));
  database = await dbs.open('pglite', { schema: 'console_browser' });
  clientKey = (await new ApiKeyStore(database, new EventStore(database)).create({ name: 'frontend' })).key;
  const builtin = builtinGenerator();
  const generator: Generator = {
    name: 'switchable',
    async generate(job) {
      if (failing)
        throw new GeneratorError('GeneratorUnavailable', 'backend down for maintenance', { transient: true });
      return builtin.generate(job);
    },
  };
  server = await startLocalServer({
    database,
    port: 0,
    env: { LOG_LEVEL: 'silent', ADMIN_API_KEY: ADMIN_KEY, CURSOR_SECRET: 'b'.repeat(40), DATA_DIR: dir },
    pipeline: { generator, visibilityTimeoutMs: 50, maxReceiveCount: 2, maintenanceIntervalMs: 3_600_000 },
  });
  // The console's module loads on its first request: load it here, not inside the first flow.
  expect((await fetch(`${server.url}/console/signin`)).status).toBe(200);
}

async function launchBrowser() {
  return playwright.launch({
    executablePath: process.env.CHROMIUM_PATH || (await chromium.executablePath()),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
}

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// Alone the file takes ≈ 20 s; the margin is for a machine shared with other test files.
describe('operator console in Chromium', { timeout: 90_000 }, () => {
  let admin: BrowserContext;
  let page: Page;

  it('signs in with an API key', async () => {
    admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // The pages' clock is the test's (time still flows): a live list's next poll is brought forward
    // with `fastForward(interval)` instead of waited for. Each poll fires on its own timer, as it
    // would: moving the clock by one interval proves it comes within one interval.
    await admin.clock.install();
    page = watch(await signIn(admin, ADMIN_KEY));
    await page.waitForURL(/\/console\/$/);
    await expect(page.getByRole('heading', { name: 'Overview' })).toBeTruthy();
    expect(await page.locator('h1').textContent()).toBe('Overview');
    const cookies = await admin.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({
      name: 'gl_console',
      httpOnly: true,
      sameSite: 'Strict',
      path: '/console',
    });
    expect(cookies[0]!.value).not.toContain(ADMIN_KEY);
  });

  it('finds a generation by text and opens its timeline', async () => {
    await api('/generations', { prompt: 'a lighthouse at dusk', name: 'lighthouse', seed: 7 });
    await api('/generations', { prompt: 'a red fox in snow', name: 'fox', seed: 3 });
    await server.pipeline!.drain();
    await page.goto(`${server.url}/console/generations`);
    await page.keyboard.press('/');
    // Expressions run in the page, as strings: the test's TypeScript has no DOM types.
    expect(await page.evaluate("document.activeElement?.getAttribute('name')")).toBe('q');
    await page.keyboard.type('lighthouse');
    await page.keyboard.press('Enter');
    await page.waitForURL(/q=lighthouse/);
    const rows = page.locator('tr[data-row]');
    expect(await rows.count()).toBe(1);
    await shot(page, 'generations');
    // Keyboard: j moves to the first row and focuses its link; Enter opens it.
    await page.keyboard.press('j');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/console\/generations\/[0-9a-f-]{36}$/);
    const timeline = await page.locator('ol.timeline > li > strong').allTextContents();
    expect(timeline).toEqual(['GenerationRequested', 'GenerationStarted', 'GenerationCompleted']);
    const img = page.locator('img.preview');
    await img.waitFor();
    expect(await page.evaluate("document.querySelector('img.preview').naturalWidth")).toBeGreaterThan(0);
    await shot(page, 'generation-detail');
    visited.push(page.url());
  });

  it('shows a total outage red within one poll, then previews and retries its group and shows the receipt', async () => {
    await page.goto(`${server.url}/console/`);
    expect(await page.locator('[data-check="generator"]').getAttribute('class')).toContain('state-Healthy');
    failing = true;
    const { id: generationId } = await api('/generations', { prompt: 'a failing comet', name: 'comet' });
    await api('/generations', { prompt: 'a failing meteor', name: 'meteor' });
    await server.pipeline!.drain();
    // No reload: the overview's next poll (every 5 s) turns the generator and the page red.
    await admin.clock.fastForward(5_000);
    await page.locator('[data-check="generator"].state-Unhealthy').waitFor({ timeout: 7_000 });
    expect(await page.locator('[data-check="overall"]').getAttribute('class')).toContain('state-Unhealthy');
    expect(await page.locator('[data-check="generator"]').textContent()).toContain('4 of 6 attempts failed');
    await shot(page, 'overview-outage');
    await page.goto(`${server.url}/console/failed`);
    const group = page.locator('tr[data-group]', { hasText: 'GeneratorUnavailable' }).first();
    expect(await group.locator('td.num').first().textContent()).toBe('2');
    expect(await group.getByTestId('sample-error').textContent()).toContain('backend down for maintenance');
    await shot(page, 'failure-groups');
    // One classifier at a time: by model, the same two messages are one group, counted once.
    await page.getByLabel('Group by').selectOption('model');
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/by=model/);
    expect(await page.locator('tr[data-group] td:first-child a').allTextContents()).toEqual(['sdxl']);
    await page.goto(`${server.url}/console/failed`);
    await group.getByRole('link', { name: /^Retry group/ }).click();
    await page.waitForURL(/\/console\/retry\/preview\?groupId=/);
    expect(await page.getByTestId('retry-count').textContent()).toBe('2');
    expect(await page.locator('.flash.error').textContent()).toContain('still happening');
    await shot(page, 'retry-preview');
    visited.push(page.url());

    failing = false; // the backend recovers
    await page.getByLabel(/Reason/).fill('backend back after maintenance');
    await page.getByRole('button', { name: 'Send 2 messages' }).click();
    await page.waitForURL(/\/console\/retries\/[0-9a-f-]{36}$/);
    // Live progress: htmx polls the receipt (every second) until the message has settled.
    await server.pipeline!.drain();
    await admin.clock.fastForward(1_000);
    await page.locator('#receipt-live[data-settled="true"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-count="succeeded"]').textContent()).toBe('2');
    expect(await page.locator('[data-count="failed-again"]').textContent()).toBe('0');
    expect(await page.locator('[data-count="pending"]').textContent()).toBe('0');
    const row = page.locator('tr[data-message]', { hasText: 'a failing comet' });
    // Messages are named by prompt and model, not by their hash.
    expect(await row.locator('td').first().textContent()).toBe('“a failing comet” (sdxl)');
    expect(await row.locator('td').nth(2).textContent()).toBe('succeeded');
    expect(await row.locator('.badge').textContent()).toBe('resolved');
    expect(await page.locator('dl.kv').textContent()).toContain('backend back after maintenance');
    expect(await page.locator('dl.kv').textContent()).toContain('group “GeneratorUnavailable');
    await shot(page, 'retry-receipt');
    visited.push(page.url());
    // The receipt of a group retry that took only the first MAX_PER_OPERATION offers the rest.
    await page.goto(`${page.url()}?more=1`);
    expect(await page.locator('.flash.ok').textContent()).toContain('first 10,000 eligible messages');
    expect(
      await page.getByRole('link', { name: 'Preview a retry of the rest' }).getAttribute('href'),
    ).toMatch(/^\/console\/retry\/preview\?groupId=/);
    // The generation's timeline links the failure and the retry batch.
    await page.goto(`${server.url}/console/generations/${generationId}`);
    expect(await page.getByRole('link', { name: 'failed message' }).count()).toBeGreaterThanOrEqual(1);
    expect(await page.getByRole('link', { name: 'retry batch' }).count()).toBe(1);
    // Every message of the group succeeded: the group is settled, out of the list, its actions off.
    await page.goto(`${server.url}/console/failed`);
    expect(await page.locator('tr[data-group]', { hasText: 'GeneratorUnavailable' }).count()).toBe(0);
    await page.getByTestId('show-settled').click();
    const settled = page.locator('tr[data-group]', { hasText: 'GeneratorUnavailable' }).first();
    expect(await settled.getByRole('button', { name: /^Archive group/ }).isDisabled()).toBe(true);
    expect(await settled.getByRole('button', { name: /^Retry group/ }).isDisabled()).toBe(true);
    await page.goto(
      `${server.url}/console/retry/preview?groupId=${await settled.getAttribute('data-group')}`,
    );
    expect(await page.getByTestId('nothing-to-retry').count()).toBe(1);
    expect(await page.locator('.flash.error').count()).toBe(0);
  });

  it('selects a range with shift-click, archives it, and unarchives all matching', async () => {
    failing = true;
    for (const name of ['one', 'two', 'three', 'four'])
      await api('/generations', { prompt: `failing ${name}`, name });
    await server.pipeline!.drain();
    failing = false;
    await page.goto(`${server.url}/console/failed/messages`);
    const boxes = page.locator('input.sel');
    expect(await boxes.count()).toBe(4);
    await boxes.nth(0).click();
    await boxes.nth(2).click({ modifiers: ['Shift'] });
    expect(await page.locator('#selection-count').textContent()).toBe('3 selected');
    expect(await Promise.all([0, 1, 2, 3].map((i) => boxes.nth(i).isChecked()))).toEqual([
      true,
      true,
      true,
      false,
    ]);
    // x toggles the current row (k/j move it).
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    await page.keyboard.press('x');
    expect(await page.locator('#selection-count').textContent()).toBe('4 selected');
    await page.keyboard.press('x');
    await shot(page, 'failed-messages');
    // A button that cannot apply to the selection is off, and says why.
    expect(await page.getByRole('button', { name: 'Unarchive', exact: true }).isDisabled()).toBe(true);
    expect(await page.locator('#selection-why').textContent()).toContain(
      'Unarchive: 3 of 3 selected cannot be unarchived',
    );
    await page.getByRole('button', { name: 'Archive', exact: true }).click();
    await page.getByTestId('flash-text').waitFor();
    expect(dialogs.at(-1)).toBe('Archive 3 messages?');
    expect(await page.getByTestId('flash-text').textContent()).toBe('3 archived');
    expect(page.url()).not.toContain('archived');
    expect(await page.locator('input.sel').count()).toBe(1);
    // Undo from the notice; then archive them again.
    await page.getByTestId('undo').click();
    await page.getByTestId('flash-text').filter({ hasText: '3 unarchived' }).waitFor();
    expect(await page.locator('input.sel').count()).toBe(4);
    await page.locator('input.sel').nth(0).click();
    await page
      .locator('input.sel')
      .nth(2)
      .click({ modifiers: ['Shift'] });
    await page.getByRole('button', { name: 'Archive', exact: true }).click();
    await page.getByTestId('flash-text').filter({ hasText: '3 archived' }).waitFor();
    expect(await page.locator('input.sel').count()).toBe(1);

    await page.goto(`${server.url}/console/failed/messages?status=archived`);
    expect(await page.locator('input.sel').count()).toBe(3);
    await page.getByLabel(/all 3 matching/).check();
    expect(await page.locator('#selection-count').textContent()).toBe('all 3 matching selected');
    await page.getByRole('button', { name: 'Unarchive', exact: true }).click();
    await page.getByTestId('flash-text').waitFor();
    expect(await page.getByTestId('flash-text').textContent()).toBe('3 unarchived');
    expect(await page.locator('input.sel').count()).toBe(0);

    // The list refreshes itself (no reload) and keeps what is ticked.
    await page.goto(`${server.url}/console/failed/messages`);
    const before = await page.locator('input.sel').count();
    const ticked = page.locator('input.sel').last();
    const keptId = await ticked.getAttribute('value');
    await ticked.check();
    failing = true;
    await api('/generations', { prompt: 'failing five', name: 'five' });
    await server.pipeline!.drain();
    failing = false;
    // The list's next poll (every 5 s).
    await admin.clock.fastForward(5_000);
    await expect.poll(() => page.locator('input.sel').count(), { timeout: 8_000 }).toBe(before + 1);
    expect(await page.locator(`input.sel[value="${keptId}"]`).isChecked()).toBe(true);
    expect(await page.locator('#selection-count').textContent()).toBe('1 selected');

    // One message's page with its attempts, and the comparison of two attempts.
    await page.goto(`${server.url}/console/failed/messages`);
    await page.locator('tr[data-row] a').first().click();
    await page.waitForURL(/\/console\/failed\/messages\/[0-9a-f]{64}$/);
    expect(await page.locator('h1').textContent()).toContain('GeneratorUnavailable');
    await shot(page, 'failed-message');
    visited.push(page.url(), `${page.url()}/compare?attempt=2`);
  });

  it('edits a failed message and retries it: processed as edited, the edit on its receipt', async () => {
    await page.goto(`${server.url}/console/failed/messages`);
    await page.locator('tr[data-row] a').first().click();
    await page.waitForURL(/\/console\/failed\/messages\/[0-9a-f]{64}$/);
    await page.getByRole('link', { name: 'Edit and retry…' }).click();
    await page.waitForURL(/\/edit$/);
    const body = page.getByLabel('Message (JSON)');
    const message = JSON.parse(await body.inputValue());
    const before = message.request.prompt;
    message.request.prompt = 'an edited comet';
    message.request.steps = 12;
    await body.fill(JSON.stringify(message, null, 2));
    await page.getByLabel(/^Reason/).fill('prompt reworded for the new model');
    await shot(page, 'edit-retry');
    await page.getByRole('button', { name: 'Send as a new attempt' }).click();
    await page.waitForURL(/\/console\/retries\/[0-9a-f-]{36}$/);
    await server.pipeline!.drain();
    await admin.clock.fastForward(1_000);
    await page.locator('#receipt-live[data-settled="true"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-count="succeeded"]').textContent()).toBe('1');
    // The message is named by its generation, which now has the edited prompt.
    expect(await page.locator('tr[data-message] td').first().textContent()).toBe('“an edited comet” (sdxl)');
    expect(await page.locator('dl.kv').textContent()).toContain('prompt reworded for the new model');
    expect(await page.locator('dl.kv').textContent()).toContain('1 message, edited and retried');
    const change = page.locator('tr[data-change="request.prompt"] td');
    expect(await change.allTextContents()).toEqual(['request.prompt', before, 'an edited comet']);
    expect(await page.locator('tr[data-change="request.steps"] td').allTextContents()).toEqual([
      'request.steps',
      '20',
      '12',
    ]);
    await shot(page, 'edit-retry-receipt');
    visited.push(page.url());
    // Another message's edit page, for the accessibility check (this one is resolved now).
    await page.goto(`${server.url}/console/failed/messages`);
    visited.push(`${server.url}${await page.locator('tr[data-row] a').first().getAttribute('href')}/edit`);
  });

  it('shows the overview, event log, keys and settings; on a phone too', async () => {
    await server.pipeline!.runMaintenance(); // brings the daily stats projection up to date
    await page.goto(`${server.url}/console/`);
    const health = await page.locator('#overview-live .cards').first().textContent();
    expect(health).toContain('local queue');
    expect(health).toContain('0 in the dead-letter queue');
    // One chart per model, drawn on the server from the projection.
    expect(await page.locator('svg.chart').count()).toBe(1);
    expect(await page.getByTestId('generation-figure').textContent()).toMatch(
      /^generations: \d+ completed · \d+ failed/,
    );
    expect(await page.getByTestId('attempt-figure').textContent()).toMatch(/^attempts: \d+ · \d+ failed/);
    await shot(page, 'overview');
    await page.goto(`${server.url}/console/events?type=GenerationCompleted`);
    const types = await page.locator('#event-feed tbody tr td:nth-child(3)').allTextContents();
    expect(types.length).toBeGreaterThan(0);
    expect(new Set(types)).toEqual(new Set(['GenerationCompleted']));
    await shot(page, 'events');
    // Live tail: a new event shows up without a reload.
    await api('/generations', { prompt: 'a tail of a comet', name: 'tail' });
    await admin.clock.fastForward(2_000); // the feed's next poll
    await expect
      .poll(() => page.locator('#event-feed tbody tr').count(), { timeout: 10_000 })
      .toBeGreaterThan(types.length);
    // Polling pauses while the tab is hidden and resumes at once when it shows again.
    const polls: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/console/events/live')) polls.push(r.url());
    });
    // The page notes each poll htmx is about to send from a live list, and whether the console
    // held it back (its listener runs first).
    await page.evaluate(
      `window.duePolls = []; document.addEventListener('htmx:beforeRequest', (e) => { if (e.detail.elt.hasAttribute('data-poll')) window.duePolls.push(e.defaultPrevented) })`,
    );
    const setHidden = (hidden: boolean) =>
      page.evaluate(
        `Object.defineProperty(document, 'hidden', { configurable: true, get: () => ${hidden} }); window.duePolls = []; document.dispatchEvent(new Event('visibilitychange'))`,
      );
    await setHidden(true);
    // A poll sent before the tab was hidden may still be in flight: htmx marks its element until
    // it has answered, and the browser reported the request before that.
    await expect
      .poll(() => page.evaluate("document.querySelector('[data-poll].htmx-request') === null"), {
        timeout: 10_000,
      })
      .toBe(true);
    polls.length = 0;
    // The interval's next turn, while hidden: due, and held back.
    await admin.clock.fastForward(2_000);
    await expect
      .poll(() => page.evaluate('window.duePolls.length'), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(1);
    expect(await page.evaluate('window.duePolls')).not.toContain(false);
    expect(polls).toEqual([]);
    // Time stops (a little ahead, still hidden): from here no interval can send a poll, so the
    // one that comes is the tab showing again.
    await admin.clock.pauseAt(Number(await page.evaluate('Date.now()')) + 5_000);
    expect(polls).toEqual([]);
    await setHidden(false);
    await expect.poll(() => polls.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    await admin.clock.resume();
    // Who did it: the archive and unarchive above were this key, from the console.
    await page.goto(`${server.url}/console/events?type=FailedMessageStatusChanged`);
    expect(
      await page
        .getByTestId('actor')
        .filter({ hasText: /via console$/ })
        .count(),
    ).toBeGreaterThan(0);
    await page.goto(`${server.url}/console/retries`);
    // The group's retry, and the edit's.
    expect(await page.locator('tr[data-row]').count()).toBe(2);
    await page.goto(`${server.url}/console/keys`);
    expect(await page.locator('tbody tr').count()).toBe(2);
    await shot(page, 'api-keys');
    await page.goto(`${server.url}/console/settings`);
    expect(await page.getByLabel(/retry\.messagesPerSecond/).inputValue()).toBe('50');

    // A phone, in dark mode (the console follows prefers-color-scheme).
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      colorScheme: 'dark',
    });
    await phone.addCookies(await admin.cookies());
    const small = watch(await phone.newPage());
    await small.goto(`${server.url}/console/failed/messages`);
    const overflow = await small.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow as number).toBeLessThanOrEqual(0);
    expect(await small.evaluate('getComputedStyle(document.body).backgroundColor')).toBe('rgb(17, 19, 23)');
    await shot(small, 'phone-failed-messages');
    // Navigation takes a line, not a third of the screen; group actions are in reach at 390 px.
    await small.goto(`${server.url}/console/failed?all=1`);
    const header = (await small.locator('header.top').boundingBox())!;
    expect(header.height).toBeLessThan(844 / 6);
    const archive = (await small
      .getByRole('button', { name: /^Archive group/ })
      .first()
      .boundingBox())!;
    expect(archive.x + archive.width).toBeLessThanOrEqual(390);
    await shot(small, 'phone-failure-groups');
    await phone.close();
  });

  // Every page twice (light, dark): the longest step, and the one a shared machine stretches most.
  it('has no axe-core violations on any page, light or dark', { timeout: 150_000 }, async () => {
    // A webhook endpoint with one delivery, for the webhook pages (nothing listens on port 9).
    const endpoint = await api('/webhook-endpoints', {
      url: 'http://127.0.0.1:9/hooks',
      description: 'orders',
    });
    const ping = await fetch(`${server.url}/webhook-endpoints/${endpoint.id}/test`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    const { deliveryId } = (await ping.json()) as { deliveryId: string };
    const pages = [
      '/console/webhooks',
      `/console/webhooks/deliveries/${deliveryId}`,
      '/console/',
      '/console/generations',
      '/console/failed',
      '/console/failed?all=1',
      '/console/failed/messages',
      '/console/failed/messages?status=archived',
      '/console/retries',
      '/console/events',
      '/console/keys',
      '/console/settings',
      ...visited.map((u) => new URL(u).pathname + new URL(u).search),
    ];
    const violations: string[] = [];
    for (const path of pages) {
      await page.goto(`${server.url}${path}`);
      violations.push(...(await accessibility(page)));
    }
    const signedOut = await browser.newContext();
    const signin = watch(await signedOut.newPage());
    await signin.goto(`${server.url}/console/signin`);
    violations.push(...(await accessibility(signin)));
    await signedOut.close();
    expect(violations).toEqual([]);
  });

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/console\/signin$/);
    // The session is gone; what is left is when this browser last looked at the groups.
    expect((await admin.cookies()).map((c) => c.name)).toEqual(['gl_groups_seen']);
    await page.goto(`${server.url}/console/failed`);
    await page.waitForURL(/\/console\/signin$/);
    await admin.close();
  });

  it('keeps a non-admin key out of the admin pages', async () => {
    const context = await browser.newContext();
    const p = watch(await signIn(context, clientKey), [403]);
    await p.waitForURL(/\/console\/generations$/);
    const nav = await p.locator('nav[aria-label="Sections"] a').allTextContents();
    expect(nav).toEqual(['Generations']);
    for (const path of ['/console/failed', '/console/keys', '/console/settings', '/console/events']) {
      const res = await p.goto(`${server.url}${path}`);
      expect(res?.status()).toBe(403);
      expect(await p.locator('.flash.error').textContent()).toContain('needs an admin API key');
    }
    await context.close();
  });

  it('had no script errors and no failed requests on any page', () => {
    expect(problems).toEqual([]);
  });
});
