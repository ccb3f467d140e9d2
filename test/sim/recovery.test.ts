// The recoverability loop on the simulated deploy, with an asynchronous backend (a fake following
// Cog's HTTP API): a backend that is down, real redrive to the DLQ, the dead-letter function
// recording it, a group retry once the backend recovered; then the job runs at the backend while
// no worker waits for it, and its callback through API Gateway completes the generation, its
// output kept in the bucket. One simulation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCogFake } from '../support/backends/cog-fake.ts';
import { startTestSimulation } from '../support/sim.ts';

let t: Awaited<ReturnType<typeof startTestSimulation>>;
let cog: Awaited<ReturnType<typeof startCogFake>>;
/** The smallest GIF there is (a 1×1 pixel), as a backend might hand it over in a data URL. */
const GIF = 'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';

beforeAll(async () => {
  cog = await startCogFake();
  cog.state.unavailable = true;
  t = await startTestSimulation({
    GENERATOR_URL: `cog+${cog.url}`,
    // Longer than a batch's run, or messages would reappear mid-batch.
    QUEUE_VISIBILITY_TIMEOUT: '6',
    QUEUE_MAX_RECEIVE_COUNT: '2',
  });
});
afterAll(async () => {
  await t?.stop();
  await cog?.close();
});

const submissions = () => cog.requests.filter((r) => r.method === 'PUT').length;

describe('npm run sim: a failing asynchronous backend', () => {
  it('is redriven to the DLQ, recorded with attempts and group, retried by group once it recovers, run with no worker waiting, and resolved', async () => {
    expect(t.sim.announcements.join('\n')).toMatch(/QUEUE_MAX_RECEIVE_COUNT=2 overrides/);
    const created = await t.call('POST', '/generations', { prompt: 'a storm over the harbour' });
    expect(created.status).toBe(202);
    const id = created.body.id as string;

    const failed = await t.until('the failed message', async () => {
      const list = await t.call('GET', '/failed-messages');
      return list.body?.items?.find((m: { generationId: string }) => m.generationId === id);
    });
    expect(failed).toMatchObject({ status: 'unresolved', attemptCount: 1 });
    const detail = await t.call('GET', `/failed-messages/${failed.id}`);
    expect(detail.status, JSON.stringify(detail.body)).toBe(200);
    expect(detail.body.attempts).toHaveLength(1);
    // Received at least the redrive policy's count before SQS moved it (the count carries over).
    expect(detail.body.attempts[0].receiveCount).toBeGreaterThanOrEqual(2);
    expect(submissions(), JSON.stringify(detail.body.lastError)).toBe(2);
    expect(detail.body.lastError).toMatchObject({ type: 'GeneratorUnavailable' });
    expect((await t.call('GET', `/generations/${id}`)).body.status).toBe('failed');

    const groups = await t.call('GET', '/failure-groups');
    const group = groups.body.items.find((g: { unresolved: number }) => g.unresolved > 0);
    expect(group).toBeDefined();
    // Built as deployed (split, names kept, no source maps), the fault's frame names a bundle file
    // without the chunk hash that would change with the next deploy.
    const byCause = groups.body.items.find(
      (g: { classifier: string }) => g.classifier === 'exception-type-and-stack-frame',
    );
    expect(byCause.title, byCause.title).toMatch(/^\w+: at \S+ \([a-z][\w-]*\.mjs\)$/);
    expect(byCause.title).not.toMatch(/-[A-Z0-9]{8}\.mjs/);

    const worker = t.sim.deployment.subscriptions.find((s) => s.queue === 'Queue')!.fn.name;
    const workerInvocations = () => t.sim.invocations.filter((i) => i.fn === worker);
    const beforeRetry = workerInvocations().length;
    cog.state.unavailable = false;
    const retry = await t.call('POST', `/failure-groups/${group.id}/retry`);
    expect(retry.status, JSON.stringify(retry.body)).toBe(202);
    expect(retry.body.changed).toBe(1);

    // The retry's attempt is at Cog, and no worker is running: the worker returned at submission.
    const prediction = await t.until('the prediction at Cog', async () =>
      [...cog.predictions.keys()].find((p) => p.startsWith(id)),
    );
    await t.until('the submitting invocation to end', async () =>
      workerInvocations().length > beforeRetry ? true : undefined,
    );
    expect((await t.call('GET', `/generations/${id}`)).body.status).toBe('running');
    const whileRunning = workerInvocations();
    expect(
      whileRunning.every((i) => i.ok),
      JSON.stringify(whileRunning),
    ).toBe(true);
    // The retry's invocation ended before Cog finished the prediction (the test finishes it only
    // below), with the generation still running: the worker returned at submission. That order is
    // the proof; a duration bound was not, as a loaded machine stretches any invocation.
    expect(whileRunning.length).toBeGreaterThan(beforeRetry);

    // Cog posts the outcome to the attempt's callback URL: the API Gateway URL linked to the worker.
    const callback = await cog.finish(prediction, {
      status: 'succeeded',
      output: `data:image/gif;base64,${GIF}`,
    });
    expect(await callback.json()).toEqual({ settled: 'completed' });
    const done = await t.generationStatus(id, 'completed');
    expect(done.outputs).toMatchObject([
      { contentType: 'image/gif', bytes: Buffer.from(GIF, 'base64').length },
    ]);
    expect(done.outputs[0].url).toContain('X-Amz-Signature=');
    expect(Buffer.from(await (await fetch(done.outputs[0].url)).arrayBuffer()).toString('base64')).toBe(GIF);
    // The callback went to the API function, not the worker.
    expect(workerInvocations()).toHaveLength(whileRunning.length);
    await t.until('the failed message to be resolved', async () => {
      const m = await t.call('GET', `/failed-messages/${failed.id}`);
      return m.body.status === 'resolved' ? m.body : undefined;
    });
  });
});
