// The recoverability loop on the simulated deploy: a failing backend, real redrive to the DLQ, the
// dead-letter function recording it, a group retry once the backend recovered. One simulation.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSimulation } from '../support/sim.ts';

let t: Awaited<ReturnType<typeof startTestSimulation>>;
let backend: Server;
let failing = true;
let calls = 0;
/** The smallest GIF there is (a 1×1 pixel), as a backend might hand it over in a data URL. */
const GIF = 'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';

beforeAll(async () => {
  // A generation backend (GENERATOR_URL) that answers 503 until it recovers.
  backend = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      calls++;
      if (failing) {
        res.writeHead(503, { 'content-type': 'text/plain' });
        res.end('backend overloaded');
        return;
      }
      const { generationId } = JSON.parse(body) as { generationId: string };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        // A Cog-style output: a data URL, kept into the bucket by the worker.
        JSON.stringify({ output: `data:image/gif;base64,${GIF}`, promptId: `remote-${generationId}` }),
      );
    });
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  t = await startTestSimulation({
    GENERATOR_URL: `http://127.0.0.1:${(backend.address() as AddressInfo).port}/generate`,
    // Longer than the worker's 5 s batching window, or messages would reappear mid-batch.
    QUEUE_VISIBILITY_TIMEOUT: '6',
    QUEUE_MAX_RECEIVE_COUNT: '2',
  });
});
afterAll(async () => {
  await t?.stop();
  await new Promise<void>((r) => backend?.close(() => r()));
});

describe('npm run sim: a failing backend', () => {
  it('is redriven to the DLQ, recorded with attempts and group, retried by group once it recovers, and resolved', async () => {
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
    expect(calls, JSON.stringify(detail.body.lastError)).toBe(2);
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

    failing = false;
    const retry = await t.call('POST', `/failure-groups/${group.id}/retry`);
    expect(retry.status, JSON.stringify(retry.body)).toBe(202);
    expect(retry.body.changed).toBe(1);

    const done = await t.generationStatus(id, 'completed');
    expect(done.outputs).toMatchObject([
      { contentType: 'image/gif', bytes: Buffer.from(GIF, 'base64').length },
    ]);
    expect(Buffer.from(await (await fetch(done.outputs[0].url)).arrayBuffer()).toString('base64')).toBe(GIF);
    await t.until('the failed message to be resolved', async () => {
      const m = await t.call('GET', `/failed-messages/${failed.id}`);
      return m.body.status === 'resolved' ? m.body : undefined;
    });
  });
});
