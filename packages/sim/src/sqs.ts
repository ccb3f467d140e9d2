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

export async function startSqs(): Promise<SimSqs> {
  const server = await startFauxqs({ port: 0, host: 'localhost', logger: false, defaultRegion: REGION });
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
