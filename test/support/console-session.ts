// What the console's HTML tests share: a signed-in session against an app in process, the form's
// CSRF token, and a Queue port that records what the console and the API send.
import type { Queue } from '@genledger/core/ports/queue';
import type { SQSRecord } from 'aws-lambda';
import { sqsRecord } from './sqs-events.ts';

export const BASE = 'http://localhost';

interface InProcessApp {
  request(input: string, init?: RequestInit): Response | Promise<Response>;
}

/** Signs in with `key`: the session cookie, and requests that carry it with the console's Origin. */
export async function consoleSession(app: InProcessApp, key: string) {
  const res = await app.request(`${BASE}/console/signin`, {
    method: 'POST',
    body: new URLSearchParams({ key }),
    headers: { origin: BASE },
  });
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const req = (path: string, init: RequestInit = {}) =>
    app.request(`${BASE}${path}`, { ...init, headers: { cookie, origin: BASE }, redirect: 'manual' });
  return { cookie, req };
}

/** The CSRF token of the first form on a page. */
export const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;

/** The Queue port recording what it sends as the SQS records a worker would receive. */
export function recordingQueue(): { queue: Queue; records: SQSRecord[] } {
  const records: SQSRecord[] = [];
  const queue: Queue = {
    async send(messages) {
      for (const m of messages) records.push(sqsRecord(m));
      return { failed: [] };
    },
  };
  return { queue, records };
}
