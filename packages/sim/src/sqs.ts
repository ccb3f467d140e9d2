import { Server } from 'node:net';
import { type FauxqsServer, interceptLocalhostDns, startFauxqs } from 'fauxqs';

/**
 * SQS over its real wire protocol, in this process (fauxqs). Queue URLs have the shape
 * `http://sqs.<region>.localhost:<port>/<account>/<name>`; the AWS SDK sends each call to its
 * queue URL's host, so whoever calls needs `*.localhost` to resolve to loopback — as AWS's DNS
 * resolves `sqs.<region>.amazonaws.com` (see `localhostDns` and the function runtime's preload).
 */
export interface SimSqs {
  endpoint: string;
  server: FauxqsServer;
  createQueue(name: string, attributes?: Record<string, string>): { url: string; arn: string };
  /** A bucket on the same server's S3 (reached at `endpoint`, path-style). */
  createBucket(name: string): string;
  stop(): Promise<void>;
}

export const REGION = 'us-east-1';

const LOOPBACK = '127.0.0.1';

/**
 * fauxqs 1.9.2 listens on 0.0.0.0 whatever its `host` option says (that names the queue URLs'
 * host; see startFauxqs in its dist/app.js). This SQS has no authentication: reachable from the
 * network, anyone could list the queues and inject work. While it starts, a listen on every
 * interface is narrowed to loopback; the address it ends up on is checked, so a later fauxqs that
 * listens otherwise fails the start instead of exposing the queues.
 */
async function onLoopback(start: () => Promise<FauxqsServer>): Promise<FauxqsServer> {
  const listen = Server.prototype.listen;
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    const [options] = args;
    if (options && typeof options === 'object' && (options as { host?: string }).host === '0.0.0.0') {
      args[0] = { ...options, host: LOOPBACK };
    }
    return listen.apply(this, args as Parameters<typeof listen>);
  } as typeof listen;
  let server: FauxqsServer;
  try {
    server = await start();
  } finally {
    Server.prototype.listen = listen;
  }
  if (new URL(server.address).hostname !== LOOPBACK) {
    await server.stop();
    throw new Error(`the simulated SQS listened on ${server.address}, not on loopback only`);
  }
  return server;
}

export async function startSqs(): Promise<SimSqs> {
  const server = await onLoopback(() =>
    startFauxqs({ port: 0, host: 'localhost', logger: false, defaultRegion: REGION }),
  );
  return {
    endpoint: `http://127.0.0.1:${server.port}`,
    server,
    createQueue(name, attributes = {}) {
      const q = server.createQueue(name, { region: REGION, attributes });
      return { url: q.queueUrl, arn: q.queueArn };
    },
    createBucket(name) {
      server.createBucket(name);
      return name;
    },
    stop: () => server.stop(),
  };
}

/** Resolves `*.localhost` to 127.0.0.1 in this process; returns the undo. */
export const localhostDns = (): (() => void) => interceptLocalhostDns('localhost');
