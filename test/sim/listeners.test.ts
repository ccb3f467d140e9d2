import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { noQueue } from '@genledger/api/no-queue';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import { EventStore } from '@genledger/db/event-store';
import { startLocalServer } from '@genledger/local/server';
import { startSqs } from '@genledger/sim/sqs';
import { startWsRelay } from '@genledger/sim/ws-relay';
import { createApiHandler } from '@genledger/wiring/api';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { startHttpFront } from '../../packages/sim/src/http-front.ts';
import { useDatabases } from '../support/databases.ts';

const dbs = useDatabases();

/** This machine's addresses other than loopback: what another host on its network would dial. */
const outsideAddresses = () =>
  Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal && a.family === 'IPv4')
    .map((a) => a!.address);

/** Whether a TCP connection to host:port is accepted. */
const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/** Reachable on loopback, and from none of the machine's other addresses. */
async function expectLoopbackOnly(port: number) {
  expect(await accepts('127.0.0.1', port)).toBe(true);
  for (const address of outsideAddresses()) expect(await accepts(address, port), address).toBe(false);
}

describe('listeners of npm start and npm run sim', () => {
  it('the simulated SQS, the Neon relay and the API Gateway front listen on loopback only', async () => {
    const sqs = await startSqs();
    const relay = await startWsRelay();
    const front = await startHttpFront({
      port: 0,
      invoke: async () => ({ ok: true, result: { statusCode: 204 }, coldStart: false, durationMs: 0 }),
    });
    try {
      expect(new URL(sqs.server.address).hostname).toBe('127.0.0.1');
      await expectLoopbackOnly(sqs.server.port);
      await expectLoopbackOnly(relay.port);
      expect(new URL(front.url).hostname).toBe('127.0.0.1');
      await expectLoopbackOnly(front.port);
    } finally {
      await Promise.all([sqs.stop(), relay.close(), front.close()]);
    }
  });

  it('npm start listens on loopback unless HOST says otherwise', async () => {
    const database = await dbs.open('pglite', { schema: 'listeners' });
    const env = { LOG_LEVEL: 'silent', CURSOR_SECRET: 'l'.repeat(40) };
    const server = await startLocalServer({ database, port: 0, queue: noQueue, env });
    try {
      expect(new URL(server.url).hostname).toBe('127.0.0.1');
      await expectLoopbackOnly(server.port);
    } finally {
      await server.close();
    }
  });

  it("signs in to the console through the sim's plain-http front: the API sees the scheme it was reached by", async () => {
    const database = await dbs.open('pglite', { schema: 'listeners_front' });
    const key = (
      await new ApiKeyStore(database, new EventStore(database)).create({ name: 'ops', isAdmin: true })
    ).key;
    const handler = createApiHandler({
      env: { LOG_LEVEL: 'silent', CURSOR_SECRET: 'f'.repeat(40) },
      database: async () => database,
      queue: () => noQueue,
      metrics: () => {},
    });
    const events: APIGatewayProxyEventV2[] = [];
    const front = await startHttpFront({
      port: 0,
      invoke: async (event) => {
        events.push(event);
        return { ok: true, result: await handler(event), coldStart: false, durationMs: 0 };
      },
    });
    try {
      const res = await fetch(`${front.url}/console/signin`, {
        method: 'POST',
        body: new URLSearchParams({ key }),
        // A client's own claim is overwritten, as API Gateway does.
        headers: { origin: front.url, 'x-forwarded-proto': 'https' },
        redirect: 'manual',
      });
      expect(res.status).toBe(303);
      expect(res.headers.get('set-cookie')).toMatch(/^gl_console=[^;]+\./);
      expect(res.headers.get('set-cookie')).not.toContain('Secure');
      expect(events[0]!.headers['x-forwarded-proto']).toBe('http');
      // From another origin it is still refused.
      const cross = await fetch(`${front.url}/console/signin`, {
        method: 'POST',
        body: new URLSearchParams({ key }),
        headers: { origin: 'http://evil.example' },
        redirect: 'manual',
      });
      expect(cross.status).toBe(403);
    } finally {
      await front.close();
    }
  });
});
