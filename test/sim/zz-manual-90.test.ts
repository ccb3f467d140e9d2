import { it } from 'vitest';
import { startCogFake } from '/work/main/test/support/backends/cog-fake.ts';
import { startTestSimulation } from '/work/main/test/support/sim.ts';
it('90 s Cog generation on the sim', async () => {
  const cog = await startCogFake();
  const t = await startTestSimulation({ GENERATOR_URL: `cog+${cog.url}` });
  const created = await t.call('POST', '/generations', { prompt: 'ninety seconds' });
  const id = created.body.id as string;
  const began = Date.now();
  await t.until('prediction', async () => (cog.predictions.has(`${id}-1`) ? true : undefined));
  await new Promise((r) => setTimeout(r, 90_000));
  const res = await cog.finish(`${id}-1`, { status: 'succeeded', predictTime: 90 });
  const done = await t.generationStatus(id, 'completed');
  const bytes = Buffer.from(await (await fetch(done.outputs[0].url)).arrayBuffer()).length;
  console.log(JSON.stringify({ callback: res.status, generationMs: Date.now() - began, bytes, sha256: done.outputs[0].sha256,
    invocations: t.sim.invocations.map((i) => ({ fn: i.fn, ms: i.durationMs, ok: i.ok })) }));
  await t.stop(); await cog.close();
}, 200_000);
