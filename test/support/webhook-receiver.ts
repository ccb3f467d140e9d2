import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: { type: string; timestamp: string; data: any };
}

/**
 * A webhook receiver on loopback: records every request as it arrived (raw body, headers) and
 * answers with what `answer` says (200 by default; `'hold'` never answers, as a hung receiver). `waitFor` resolves once a condition on the
 * requests holds, woken by each request: no polling, no sleeps.
 */
export async function startReceiver() {
  const received: Received[] = [];
  const waiters = new Set<() => void>();
  let answer: (r: Received, n: number) => number | 'hold' = () => 200;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r: Received = { path: req.url ?? '/', headers: req.headers, body, json: JSON.parse(body) };
      received.push(r);
      const status = answer(r, received.length);
      if (status === 'hold') {
        for (const w of [...waiters]) w();
        return;
      }
      res.statusCode = status;
      res.end(res.statusCode >= 300 ? `answer ${res.statusCode} ${'x'.repeat(3000)}` : 'ok');
      for (const w of [...waiters]) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    port,
    received,
    answerWith(f: (r: Received, n: number) => number | 'hold') {
      answer = f;
    },
    waitFor(condition: (all: Received[]) => boolean, timeoutMs = 20_000): Promise<Received[]> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!condition(received)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(received);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `receiver: condition not met; ${received.length} requests: ${received.map((r) => r.json.type).join(', ')}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Held requests keep their sockets open: close them, or close() waits for ever.
        server.closeAllConnections();
      }),
  };
}
