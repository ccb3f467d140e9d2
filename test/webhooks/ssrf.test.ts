// SSRF: with private networks not allowed, loopback targets are refused at subscription time (400,
// naming the reason) and at send time, before any byte reaches them. The other private ranges are
// checked by the address rule alone (test/core/webhook-rules.test.ts): nothing but loopback is ever
// a target on these machines.
import { webhookSender } from '@genledger/adapters/webhooks/webhook-sender';
import { type LocalServer, startLocalServer } from '@genledger/local/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, expectProblem } from '../support/api-client.ts';
import { useDatabases } from '../support/databases.ts';
import { startReceiver } from '../support/webhook-receiver.ts';

const dbs = useDatabases();
const ADMIN_KEY = `admin-key-for-ssrf-tests-${'s'.repeat(30)}`;

describe('webhook targets when private networks are not allowed', () => {
  let server: LocalServer;
  let api: ApiClient;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  beforeAll(async () => {
    receiver = await startReceiver();
    server = await startLocalServer({
      database: await dbs.open('pglite'),
      port: 0,
      queue: { send: async () => ({ failed: [] }) },
      env: { LOG_LEVEL: 'silent', ADMIN_API_KEY: ADMIN_KEY, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false' },
    });
    api = new ApiClient(server.url);
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
  });

  it.each([
    [`https://127.0.0.1:${443}/hook`, 'loopback'],
    ['https://[::1]/hook', 'loopback'],
    ['https://localhost/hook', 'loopback'],
    ['https://169.254.169.254/latest/meta-data', 'cloud metadata'],
    ['http://example.com/hook', 'https'],
    ['https://user:pw@example.com/hook', 'credentials'],
  ])('%s is a 400 naming the reason, and nothing is written', async (url, reason) => {
    const res = await api.post('/webhook-endpoints', { key: ADMIN_KEY, body: { url } });
    expectProblem(res, 400, ['url']);
    expect(res.body.detail).toContain(reason);
    expect((await api.get('/webhook-endpoints', { key: ADMIN_KEY })).body.items).toEqual([]);
  });

  it('the sender refuses loopback by name and by address, and the receiver gets nothing', async () => {
    const sender = webhookSender({ timeoutMs: 2000, allowPrivateNetworks: false });
    const request = {
      id: crypto.randomUUID(),
      timestamp: new Date(),
      body: '{}',
      secrets: ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'],
    };
    for (const url of [
      receiver.url(),
      `http://localhost:${receiver.port}/hook`,
      `http://[::ffff:127.0.0.1]:${receiver.port}/`,
    ]) {
      const res = await sender.send({ ...request, url });
      expect(res, url).toMatchObject({ ok: false, refused: true });
    }
    expect(receiver.received).toHaveLength(0);
    // Allowed, the very same request arrives: the refusal above was the rule, not a dead port.
    const allowed = await webhookSender({ timeoutMs: 2000, allowPrivateNetworks: true }).send({
      ...request,
      url: receiver.url(),
    });
    expect(allowed).toMatchObject({ ok: true, status: 200 });
  });
});
