import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cogBackend } from '@genledger/adapters/backends/cog';
import { silentLogger } from '@genledger/core/ports/logger';
import { closeExpiredAttempts } from '@genledger/core/use-cases/backend/close-expired-attempts';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { GenerationLifecycle } from '@genledger/db/generation-lifecycle';
import { type LocalServer, startLocalServer } from '@genledger/local/server';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, it } from 'vitest';
import { rowsOf } from '../../packages/db/src/executor.ts';
import { startCogFake } from '../support/backends/cog-fake.ts';
import { startComfyFake } from '../support/backends/comfyui-fake.ts';
import { PNG_1x1 } from '../support/backends/http-fake.ts';
import { startReplicateFake } from '../support/backends/replicate-fake.ts';
import { useDatabases } from '../support/databases.ts';

/*
 * The asynchronous backends end to end under `npm start`'s local server: the worker submits and
 * returns, the fake backend (each following its public contract) reports by callback or is
 * polled, the outputs come back byte for byte from their signed links. No test waits on a timer:
 * a deadline is passed by running maintenance's step with a clock moved past it, and the held
 * delivery's return by releasing it, as SQS would at the deadline.
 */

const dbs = useDatabases();
const ADMIN = `async-backends-admin-key-${'k'.repeat(30)}`;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 20_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function stack(env: Record<string, string>, pipeline: { maxReceiveCount?: number } = {}) {
  const database = await dbs.open('pglite');
  const server = await startLocalServer({
    database,
    port: 0,
    env: {
      LOG_LEVEL: 'silent',
      ADMIN_API_KEY: ADMIN,
      CURSOR_SECRET: 'c'.repeat(40),
      DATA_DIR: mkdtempSync(join(tmpdir(), 'gl-async-')),
      ...env,
    },
    pipeline: { maintenanceIntervalMs: 3_600_000, ...pipeline, workerOverrides: { backpressureDelayS: 1 } },
  });
  closers.push(() => server.close());
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  return { server, database, call, ...helpers(server, database) };
}

function helpers(server: LocalServer, database: Database) {
  const runs = (id: string) =>
    rowsOf<{
      attempt: number;
      status: string;
      error_type: string | null;
      backend_id: string | null;
      receipt_handle: string | null;
      backend_metrics: Record<string, unknown> | null;
    }>(
      database.db.execute(
        sql.raw(
          `select attempt, status, error_type, backend_id, receipt_handle, backend_metrics from "${database.schema}".generation_runs where generation_id = '${id}' order by attempt`,
        ),
      ),
    );
  const eventTypes = async (id: string) =>
    (await new EventStore(database).readStream(`generation-${id}`)).map((e) => e.type);
  return { runs, eventTypes, pipeline: server.pipeline! };
}

const submitted = (runs: { backend_id: string | null; status: string }[], attempt = runs.length) =>
  runs.length >= attempt && runs[attempt - 1]?.backend_id !== null && runs[attempt - 1]?.status === 'running';

describe('Cog backend (callbacks)', () => {
  it('completes by callback: one completion and one event however often the callback repeats; the output comes back byte for byte', async () => {
    const cog = await startCogFake();
    closers.push(cog.close);
    const s = await stack({ GENERATOR_URL: `cog+${cog.url}` });
    const created = await s.call('POST', '/generations', {
      prompt: 'a lighthouse at dusk',
      seed: 7,
      width: 512,
    });
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    const [run] = await until('the submission', async () => submitted(await s.runs(id)) && s.runs(id));
    expect(run!.backend_id).toBe(`${id}-1`);
    // The worker returned with the delivery held in flight: nothing waits on the GPU.
    expect(await s.pipeline.main.stats()).toMatchObject({ total: 1, inFlight: 1 });
    const put = cog.requests.find((r) => r.method === 'PUT')!;
    expect(put.headers.prefer).toBe('respond-async');
    expect(put.body).toMatchObject({
      input: { prompt: 'a lighthouse at dusk', seed: 7, width: 512 },
      webhook_events_filter: ['start', 'completed'],
    });

    const first = await cog.finish(run!.backend_id!, { status: 'succeeded', predictTime: 4.2 });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ settled: 'completed' });
    const again = await cog.finish(run!.backend_id!, { status: 'succeeded' });
    expect(await again.json()).toEqual({ settled: 'ignored' });

    const g = await s.call('GET', `/generations/${id}`);
    expect(g.body).toMatchObject({ status: 'completed', attempts: 1 });
    const [output] = g.body.outputs as { url: string; contentType: string; bytes: number }[];
    expect(output).toMatchObject({ contentType: 'image/png', bytes: PNG_1x1.length });
    expect(Buffer.from(await (await fetch(output!.url)).arrayBuffer())).toEqual(PNG_1x1);
    expect((await s.runs(id))[0]).toMatchObject({
      status: 'completed',
      backend_metrics: { predictTimeS: 4.2 },
    });
    // The run journal as the API shows it: the job id, submit and report times, the model's own time.
    const journal = (await s.call('GET', `/generations/${id}/runs`)).body.items as Record<string, unknown>[];
    expect(journal[0]).toMatchObject({
      backendId: `${id}-1`,
      status: 'completed',
      backendMetrics: { predictTimeS: 4.2 },
      submittedAt: expect.any(String),
      reportedAt: expect.any(String),
      deadlineAt: expect.any(String),
    });
    expect((await s.eventTypes(id)).filter((t) => t === 'GenerationCompleted')).toHaveLength(1);
  });

  it('refuses a forged callback token with 404 and writes nothing', async () => {
    const cog = await startCogFake();
    closers.push(cog.close);
    const s = await stack({ GENERATOR_URL: `cog+${cog.url}` });
    const id = (await s.call('POST', '/generations', { prompt: 'p' })).body.id as string;
    await until('the submission', async () => submitted(await s.runs(id)));
    const forged = await fetch(`${s.server.url}/callbacks/${'x'.repeat(43)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: `${id}-1`, status: 'succeeded', output: 'data:image/png;base64,AAAA' }),
    });
    expect(forged.status).toBe(404);
    expect((await s.call('GET', `/generations/${id}`)).body.status).toBe('running');
    expect(await s.eventTypes(id)).toEqual(['GenerationRequested', 'GenerationStarted']);
  });

  it('treats 409 as backpressure: the generation comes back in a fresh message and completes', async () => {
    const cog = await startCogFake();
    closers.push(cog.close);
    cog.state.busy = true;
    const s = await stack({ GENERATOR_URL: `cog+${cog.url}` });
    const id = (await s.call('POST', '/generations', { prompt: 'busy' })).body.id as string;
    const [deferred] = await until('the deferral', async () => {
      const r = await s.runs(id);
      return r[0]?.status === 'failed' && r;
    });
    expect(deferred).toMatchObject({ error_type: 'BackendBusy' });
    cog.state.busy = false;
    await until('the second submission', async () => submitted(await s.runs(id), 2));
    const res = await cog.finish(`${id}-2`, { status: 'succeeded' });
    expect(await res.json()).toEqual({ settled: 'completed' });
    // Never dead-lettered: the busy round used a message of its own.
    expect((await s.call('GET', '/failed-messages')).body.items).toEqual([]);
  });

  it('a callback that never comes: the deadline fails the attempt, the held delivery retries it, and the last one is dead-lettered into a group', async () => {
    const cog = await startCogFake();
    closers.push(cog.close);
    const s = await stack({ GENERATOR_URL: `cog+${cog.url}` }, { maxReceiveCount: 2 });
    const lifecycle = new GenerationLifecycle(s.database, new EventStore(s.database));
    const past = { now: () => new Date(Date.now() + 3_600_000) };
    const id = (await s.call('POST', '/generations', { prompt: 'swallowed' })).body.id as string;
    for (const attempt of [1, 2]) {
      const runs = await until(
        `submission ${attempt}`,
        async () => submitted(await s.runs(id), attempt) && s.runs(id),
      );
      expect(await closeExpiredAttempts({ lifecycle, clock: past, logger: silentLogger })).toEqual({
        closed: 1,
      });
      expect((await s.runs(id))[attempt - 1]).toMatchObject({
        status: 'failed',
        error_type: 'GeneratorDeadlineExceeded',
      });
      // What SQS does when the held delivery's visibility ends at the deadline.
      await s.pipeline.main.release([runs[attempt - 1]!.receipt_handle!]);
    }
    const failed = await until('the dead-lettering', async () => {
      const page = await s.call('GET', '/failed-messages');
      return page.body.items.length > 0 && page.body.items;
    });
    expect(failed[0]).toMatchObject({ generationId: id, lastError: { type: 'GeneratorDeadlineExceeded' } });
    expect((await s.call('GET', `/generations/${id}`)).body.status).toBe('failed');
  });

  it('a cancel reaches the backend, and its late callback is ignored', async () => {
    const cog = await startCogFake();
    closers.push(cog.close);
    const s = await stack({ GENERATOR_URL: `cog+${cog.url}` });
    const id = (await s.call('POST', '/generations', { prompt: 'stop me' })).body.id as string;
    await until('the submission', async () => submitted(await s.runs(id)));
    expect((await s.call('POST', `/generations/${id}/cancel`)).status).toBe(200);
    expect(cog.state.cancelled).toEqual([`${id}-1`]);
    const late = await cog.finish(`${id}-1`, { status: 'succeeded' });
    expect(await late.json()).toEqual({ settled: 'ignored' });
    expect((await s.call('GET', `/generations/${id}`)).body.status).toBe('cancelled');
  });
});

describe("Cog's own health", () => {
  it('reads GET /health-check: READY, BUSY, SETUP_FAILED, and a container that does not answer', async () => {
    const cog = await startCogFake();
    closers.push(cog.close);
    const backend = cogBackend({ baseUrl: cog.url, deadlineS: 60 });
    expect((await backend.health!()).state).toBe('ready');
    cog.state.health = 'BUSY';
    expect((await backend.health!()).state).toBe('busy');
    cog.state.health = 'SETUP_FAILED';
    expect(await backend.health!()).toEqual({ state: 'setup_failed', detail: 'cog reports SETUP_FAILED' });
    await cog.close();
    closers.pop();
    expect((await backend.health!()).state).toBe('unreachable');
  });
});

describe('ComfyUI backend (polling)', () => {
  function workflowFiles() {
    const dir = mkdtempSync(join(tmpdir(), 'gl-comfy-'));
    const workflow = join(dir, 'sdxl.json');
    writeFileSync(
      workflow,
      JSON.stringify({
        '3': { class_type: 'KSampler', inputs: { seed: 1, steps: 20, cfg: 7, model: ['4', 0] } },
        '5': { class_type: 'EmptyLatentImage', inputs: { width: 1024, height: 1024, batch_size: 1 } },
        '6': { class_type: 'CLIPTextEncode', inputs: { text: 'placeholder', clip: ['4', 1] } },
        '9': { class_type: 'SaveImage', inputs: { filename_prefix: 'gl', images: ['8', 0] } },
      }),
    );
    writeFileSync(
      join(dir, 'sdxl.bindings.json'),
      JSON.stringify({
        prompt: { node: '6', input: 'text' },
        seed: { node: '3', input: 'seed' },
        steps: { node: '3', input: 'steps' },
        guidance: { node: '3', input: 'cfg' },
        width: { node: '5', input: 'width' },
        height: { node: '5', input: 'height' },
      }),
    );
    return workflow;
  }

  it('submits the bound workflow, polls on delayed messages until it ran, and keeps every image', async () => {
    const comfy = await startComfyFake();
    closers.push(comfy.close);
    const s = await stack({
      GENERATOR_URL: `comfyui+${comfy.url}`,
      COMFYUI_WORKFLOW: workflowFiles(),
      GENERATOR_POLL_AFTER_S: '1',
    });
    const id = (await s.call('POST', '/generations', { prompt: 'a fox', seed: 42, steps: 12, width: 768 }))
      .body.id as string;
    const [run] = await until('the submission', async () => submitted(await s.runs(id)) && s.runs(id));
    const prompt = comfy.prompts.get(run!.backend_id!)!;
    expect(prompt.workflow['6']!.inputs.text).toBe('a fox');
    expect(prompt.workflow['3']!.inputs).toMatchObject({ seed: 42, steps: 12, cfg: 7.5 });
    expect(prompt.workflow['5']!.inputs).toMatchObject({ width: 768, height: 1024 });
    comfy.set(run!.backend_id!, 'done');
    const g = await until('the completion', async () => {
      const r = await s.call('GET', `/generations/${id}`);
      return r.body.status === 'completed' && r.body;
    });
    expect(g.outputs).toHaveLength(2);
    for (const o of g.outputs as { url: string }[])
      expect(Buffer.from(await (await fetch(o.url)).arrayBuffer())).toEqual(PNG_1x1);
  });

  it('a failed workflow is a transient failure retried at once; a cancel of a queued prompt deletes it', async () => {
    const comfy = await startComfyFake();
    closers.push(comfy.close);
    const s = await stack({
      GENERATOR_URL: `comfyui+${comfy.url}`,
      COMFYUI_WORKFLOW: workflowFiles(),
      GENERATOR_POLL_AFTER_S: '1',
    });
    const id = (await s.call('POST', '/generations', { prompt: 'oom' })).body.id as string;
    const [first] = await until('the submission', async () => submitted(await s.runs(id)) && s.runs(id));
    comfy.set(first!.backend_id!, 'error');
    const runs = await until('the second attempt', async () => submitted(await s.runs(id), 2) && s.runs(id));
    expect(runs[0]).toMatchObject({ status: 'failed', error_type: 'GeneratorFailed' });
    expect((await s.call('POST', `/generations/${id}/cancel`)).status).toBe(200);
    expect(comfy.actions).toEqual([`delete:${runs[1]!.backend_id}`]);
    // A prompt already running is interrupted instead.
    const other = (await s.call('POST', '/generations', { prompt: 'running' })).body.id as string;
    const [running] = await until(
      'the other submission',
      async () => submitted(await s.runs(other)) && s.runs(other),
    );
    comfy.set(running!.backend_id!, 'running');
    expect((await s.call('POST', `/generations/${other}/cancel`)).status).toBe(200);
    expect(comfy.actions).toEqual([`delete:${runs[1]!.backend_id}`, 'interrupt']);
  });
});

describe('Replicate backend (signed callbacks, polling fallback)', () => {
  it('verifies Standard Webhooks signatures: a forged one is refused, a signed one completes', async () => {
    const replicate = await startReplicateFake();
    closers.push(replicate.close);
    const s = await stack({
      GENERATOR_URL: 'replicate://acme/sdxl',
      REPLICATE_API_TOKEN: replicate.token,
      REPLICATE_API_URL: replicate.url,
    });
    const id = (await s.call('POST', '/generations', { prompt: 'signed' })).body.id as string;
    const [run] = await until('the submission', async () => submitted(await s.runs(id)) && s.runs(id));
    const create = replicate.requests.find((r) => r.method === 'POST')!;
    expect(create.path).toBe('/v1/models/acme/sdxl/predictions');
    const forged = await replicate.finish(run!.backend_id!, 'succeeded', { forge: true });
    expect(forged!.status).toBe(401);
    expect((await s.call('GET', `/generations/${id}`)).body.status).toBe('running');
    const signed = await replicate.finish(run!.backend_id!, 'succeeded');
    expect(await signed!.json()).toEqual({ settled: 'completed' });
    const g = await s.call('GET', `/generations/${id}`);
    expect(Buffer.from(await (await fetch(g.body.outputs[0].url)).arrayBuffer())).toEqual(PNG_1x1);
  });

  it('completes by polling when no callback came', async () => {
    const replicate = await startReplicateFake();
    closers.push(replicate.close);
    const s = await stack({
      GENERATOR_URL: 'replicate://acme/sdxl:5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa',
      REPLICATE_API_TOKEN: replicate.token,
      REPLICATE_API_URL: replicate.url,
      GENERATOR_POLL_AFTER_S: '1',
    });
    const id = (await s.call('POST', '/generations', { prompt: 'quiet webhook' })).body.id as string;
    const [run] = await until('the submission', async () => submitted(await s.runs(id)) && s.runs(id));
    expect(replicate.requests.find((r) => r.method === 'POST')!.body).toMatchObject({
      version: '5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa',
    });
    await replicate.finish(run!.backend_id!, 'succeeded', { send: false });
    await until(
      'the completion by poll',
      async () => (await s.call('GET', `/generations/${id}`)).body.status === 'completed',
    );
  });
});
