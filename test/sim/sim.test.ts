// The simulated deploy (`npm run sim`): every function built as SST builds it and run as Lambda
// runs it, SQS over its wire protocol, API Gateway v2 events. One simulation for the file.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { render } from '@genledger/adapters/generators/builtin-generator';
import { GenerationRequest } from '@genledger/core/contracts/generation';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSimulation } from '../support/sim.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

let t: Awaited<ReturnType<typeof startTestSimulation>>;

beforeAll(async () => {
  t = await startTestSimulation(
    { SIM_INSTANCE_IDLE_S: '1.5' },
    // Maintenance re-sends at once instead of after a minute (the scenario below needs it).
    { extraEnvironment: { MAINTENANCE_RESEND_AFTER_S: '0' } },
  );
});
afterAll(async () => {
  await t?.stop();
});

describe('npm run sim', () => {
  it('derives the stack from sst.config.ts and migrates before traffic', () => {
    const { deployment, queues } = t.sim;
    expect(deployment.api.handler).toBe('functions/api.handler');
    expect([...queues.keys()].sort()).toEqual([
      'DeadLetterQueue',
      'Queue',
      'WebhookDeadLetterQueue',
      'WebhookQueue',
    ]);
    expect(deployment.subscriptions.find((s) => s.queue === 'WebhookQueue')).toMatchObject({
      batchSize: 10,
      partialResponses: true,
    });
    expect(deployment.subscriptions.find((s) => s.queue === 'WebhookDeadLetterQueue')?.fn.handler).toBe(
      'functions/webhook-dead-letter.handler',
    );
    expect(deployment.subscriptions.find((s) => s.queue === 'Queue')).toMatchObject({
      batchSize: 10,
      windowS: 0,
      partialResponses: true,
      maxConcurrency: 10,
    });
    expect(t.sim.announcements.some((a) => a.startsWith('migration: '))).toBe(true);
  });

  it('creates a generation that completes with the builtin generator under a read-only code directory', async () => {
    const worker = t.sim.runtimes.get('QueueSubscriber')!;
    const codeDir = join(t.dataDir, 'sim', 'functions', 'QueueSubscriber');
    expect(statSync(codeDir).mode & 0o222).toBe(0);
    const created = await t.call('POST', '/generations', { prompt: 'a harbour at dawn' });
    expect(created.status, JSON.stringify(created.body)).toBe(202);
    const done = await t.generationStatus(created.body.id, 'completed');
    expect(worker.invocations).toBeGreaterThan(0);
    // Kept in the linked bucket on fauxqs' S3, handed out as a presigned GET (no API key needed).
    expect(done.outputs).toHaveLength(1);
    const [output] = done.outputs as { url: string; contentType: string; bytes: number; sha256: string }[];
    const url = new URL(output!.url);
    expect(url.pathname).toBe(
      `/genledger-sim-outputs/generations/${created.body.id}/1/0-${output!.sha256.slice(0, 32)}.png`,
    );
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(Number(url.searchParams.get('X-Amz-Expires'))).toBe(3600);
    const served = await fetch(url);
    expect(served.status).toBe(200);
    const bytes = Buffer.from(await served.arrayBuffer());
    // Byte for byte what the builtin generator rendered for this request.
    const request = GenerationRequest.parse({
      prompt: done.prompt,
      model: done.model,
      width: done.width,
      height: done.height,
    });
    expect(bytes.equals(render(request).png)).toBe(true);
    expect(output).toMatchObject({ contentType: 'image/png', bytes: bytes.length });
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(output!.sha256);
    expect(done.outputPath).toBe(output!.url);
  });

  it('delivers a signed webhook through the webhook queue and the delivery function', async () => {
    const receiver = await startReceiver();
    try {
      const endpoint = await t.call('POST', '/webhook-endpoints', {
        url: receiver.url('/sim'),
        events: ['generation.completed'],
      });
      expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);
      const created = await t.call('POST', '/generations', { prompt: 'tell the receiver' });
      const [hit] = await receiver.waitFor((all) => all.length === 1, 60_000);
      expect(
        new Webhook(endpoint.body.secret).verify(hit!.body, {
          'webhook-id': hit!.headers['webhook-id'] as string,
          'webhook-timestamp': hit!.headers['webhook-timestamp'] as string,
          'webhook-signature': hit!.headers['webhook-signature'] as string,
        }),
      ).toMatchObject({ type: 'generation.completed', data: { id: created.body.id, status: 'completed' } });
      expect(t.sim.runtimes.get('WebhookQueueSubscriber')!.invocations).toBeGreaterThan(0);
    } finally {
      await receiver.close();
    }
  });

  it('re-sends through maintenance what the API could not send to SQS', async () => {
    const queue = t.sim.queues.get('Queue')!;
    const attributes = t.sim.sqs.server.inspectQueue('Queue')!.attributes;
    t.sim.sqs.server.deleteQueue('Queue');
    const created = await t.call('POST', '/generations', { prompt: 'sent while SQS was away' });
    expect(created.status).toBe(202);
    expect((await t.call('GET', `/generations/${created.body.id}`)).body.status).toBe('pending');
    const recreated = t.sim.sqs.createQueue('Queue', {
      VisibilityTimeout: attributes.VisibilityTimeout!,
      RedrivePolicy: attributes.RedrivePolicy!,
    });
    expect(recreated.url).toBe(queue.url);
    const [maintenance] = await t.sim.tick();
    expect(maintenance!.ok, JSON.stringify(maintenance!.error)).toBe(true);
    expect(maintenance!.result).toMatchObject({ resent: 1, errors: [] });
    await t.generationStatus(created.body.id, 'completed');
  });

  it('starts an instance cold after it idled, and reuses it while warm', async () => {
    const api = t.sim.runtimes.get('ApiFunction')!;
    await t.call('GET', '/health');
    const warmStarts = api.coldStarts;
    await t.call('GET', '/health');
    expect(api.coldStarts).toBe(warmStarts);
    // Idle past SIM_INSTANCE_IDLE_S (1.5 s): the instance is stopped.
    await t.until('the idle instance to stop', async () => (api.live === 0 ? true : undefined), 10_000);
    const health = await t.call('GET', '/health');
    expect(health.status).toBe(200);
    expect(api.coldStarts).toBe(warmStarts + 1);
    expect(new Set(api.pids).size).toBe(api.coldStarts);
    // The cold start's import of the bundle is reported apart, as Lambda's "Init Duration" is;
    // the warm invocation before it has none.
    const apiCalls = t.sim.invocations.filter((i) => i.fn === 'ApiFunction');
    expect(apiCalls.at(-1)!.initMs).toBeGreaterThan(0);
    expect(apiCalls.at(-2)!.initMs).toBeUndefined();
  });

  it('serves the console from the API function: its own package in the bundle, htmx copied beside it', async () => {
    const page = await fetch(`${t.sim.url}/console/signin`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    const htmx = /src="(\/console\/assets\/htmx\.min\.js\?v=[^"]+)"/.exec(html)?.[1];
    expect(htmx).toBeDefined();
    const script = await fetch(`${t.sim.url}${htmx}`);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain('htmx');
    const signIn = await fetch(`${t.sim.url}/console/signin`, {
      method: 'POST',
      body: new URLSearchParams({ key: t.sim.adminApiKey }),
      // What a browser on the sim's plain-HTTP front sends: the front tells the function so
      // (X-Forwarded-Proto), and the console's origin check matches.
      headers: { origin: t.sim.url },
      redirect: 'manual',
    });
    expect(signIn.status).toBe(303);
    const cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    const overview = await fetch(`${t.sim.url}/console/`, { headers: { cookie } });
    expect(overview.status).toBe(200);
    expect(await overview.text()).toContain('Generations by status');
  });

  it('answers API Gateway’s way: paths are literals, problem+json for errors', async () => {
    const res = await t.call('PUT', '/settings/retention.failedMessageDays%23x', { value: 3 });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('reads Idempotency-Key as UTF-8 text behind the simulated API Gateway, as npm start does', async () => {
    // Node's fetch sends a Latin-1 string's bytes as they are: here, the key's UTF-8 bytes.
    const post = (bytes: Buffer) =>
      fetch(`${t.sim.url}/generations`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${t.sim.adminApiKey}`,
          'content-type': 'application/json',
          'idempotency-key': bytes.toString('latin1'),
        },
        body: JSON.stringify({ prompt: 'a lighthouse, keyed' }),
      });
    const created = await post(Buffer.from('灯台🌅', 'utf8'));
    expect(created.status).toBe(202);
    expect(((await created.json()) as { idempotencyKey: string }).idempotencyKey).toBe('灯台🌅');
    // Not UTF-8 (a surrogate's bytes): the front decodes as API Gateway would, to U+FFFD, refused.
    const refused = await post(Buffer.from([0x6b, 0xed, 0xa0, 0x80]));
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { errors: { field: string }[] }).errors[0]?.field).toBe(
      'Idempotency-Key',
    );
  });
});
