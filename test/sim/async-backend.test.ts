import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCogFake } from '../support/backends/cog-fake.ts';
import { PNG_1x1 } from '../support/backends/http-fake.ts';
import { startTestSimulation } from '../support/sim.ts';

/*
 * A Cog backend on the deployed shape: the worker Lambda submits and returns while the prediction
 * runs on, the callback reaches the API through API Gateway at the URL the worker was linked to,
 * and the output comes back byte for byte from the bucket's presigned link. The prediction ends
 * when the test says, after the invocation log shows every worker invocation already over: no
 * worker waited for the GPU, however long the generation.
 */

let cog: Awaited<ReturnType<typeof startCogFake>>;
let t: Awaited<ReturnType<typeof startTestSimulation>>;

beforeAll(async () => {
  cog = await startCogFake();
  t = await startTestSimulation({ GENERATOR_URL: `cog+${cog.url}` });
});
afterAll(async () => {
  await t?.stop();
  await cog?.close();
});

describe('npm run sim with a Cog backend', () => {
  it('runs a generation no worker invocation waits for, completed by its callback, its output from S3', async () => {
    const created = await t.call('POST', '/generations', { prompt: 'a slow one', width: 512, height: 512 });
    expect(created.status).toBe(202);
    const id = created.body.id as string;
    const worker = t.sim.deployment.subscriptions.find((s) => s.queue === 'Queue')!.fn.name;
    const workerInvocations = () => t.sim.invocations.filter((i) => i.fn === worker);

    await t.until('the prediction at Cog', async () => (cog.predictions.has(`${id}-1`) ? true : undefined));
    await t.until('the worker invocation to end', async () =>
      workerInvocations().length > 0 ? true : undefined,
    );
    // The prediction is still running at Cog, and no worker is: the worker returned at submission.
    expect((await t.call('GET', `/generations/${id}`)).body.status).toBe('running');
    const whileRunning = workerInvocations();
    expect(whileRunning.every((i) => i.ok && i.durationMs < 5_000)).toBe(true);

    const callback = await cog.finish(`${id}-1`, { status: 'succeeded', predictTime: 90 });
    expect(callback.status).toBe(200);
    expect(await callback.json()).toEqual({ settled: 'completed' });
    const done = await t.generationStatus(id, 'completed');
    const body = Buffer.from(await (await fetch(done.outputs[0].url)).arrayBuffer());
    expect(body).toEqual(PNG_1x1);
    expect(done.outputs[0].url).toContain('X-Amz-Signature=');
    // The callback went to the API function, not the worker; the worker ran once per delivery.
    expect(workerInvocations()).toHaveLength(whileRunning.length);
  });
});
