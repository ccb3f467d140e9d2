// The sender's deadline and signatures against a receiver on loopback: one deadline covers the whole
// exchange (no answer, or an answer whose body never ends), and every signature verifies with the
// `standardwebhooks` library, one per secret; a connection kept alive under one SSRF policy is never
// reused under another (with Node's shared global agent it was).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webhookSender } from '@genledger/adapters/webhooks/webhook-sender';
import { newSigningSecret } from '@genledger/core/webhooks/secret-box';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('webhookSender', () => {
  let server: Server;
  let base: string;
  const closed: string[] = [];
  const seen: { headers: Record<string, unknown>; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.on('close', () => closed.push(req.url ?? ''));
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        // /hold never answers; /drip answers its head and part of a body that never ends.
        if (req.url === '/drip') {
          res.writeHead(200);
          res.write('partial');
        } else if (req.url !== '/hold') res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const request = (path: string, secrets: string[] = []) => ({
    url: `${base}${path}`,
    id: 'msg_1',
    timestamp: new Date(),
    body: JSON.stringify({ type: 'webhook.ping', data: { path } }),
    secrets,
  });

  it.each(['/hold', '/drip'])('gives up on %s at the deadline and closes the connection', async (path) => {
    const sender = webhookSender({ timeoutMs: 200, allowPrivateNetworks: true });
    const answer = await sender.send(request(path));
    expect(answer).toMatchObject({ ok: false, refused: false, error: 'no answer within 200 ms' });
    await expect.poll(() => closed).toContain(path);
  });

  it('never reuses a kept-alive connection another policy opened: loopback stays refused', async () => {
    const local = base.replace('127.0.0.1', 'localhost');
    const permissive = webhookSender({ timeoutMs: 5_000, allowPrivateNetworks: true });
    expect(await permissive.send({ ...request('/kept'), url: `${local}/kept` })).toMatchObject({ ok: true });
    const strict = webhookSender({ timeoutMs: 5_000, allowPrivateNetworks: false });
    const refused = await strict.send({ ...request('/strict'), url: `${local}/strict` });
    expect(refused).toMatchObject({ ok: false, refused: true });
    expect(seen.some((s) => s.body.includes('/strict'))).toBe(false);
  });

  it('signs once per secret, each verified by standardwebhooks', async () => {
    const [current, previous] = [newSigningSecret(), newSigningSecret()];
    const sender = webhookSender({ timeoutMs: 5_000, allowPrivateNetworks: true });
    expect(await sender.send(request('/signed', [current, previous]))).toMatchObject({
      ok: true,
      status: 204,
    });
    const got = seen.find((s) => s.body.includes('/signed'))!;
    expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(2);
    const headers = {
      'webhook-id': String(got.headers['webhook-id']),
      'webhook-timestamp': String(got.headers['webhook-timestamp']),
      'webhook-signature': String(got.headers['webhook-signature']),
    };
    for (const secret of [current, previous])
      expect(new Webhook(secret).verify(got.body, headers)).toMatchObject({ type: 'webhook.ping' });
    expect(() => new Webhook(newSigningSecret()).verify(got.body, headers)).toThrow();
  });
});
