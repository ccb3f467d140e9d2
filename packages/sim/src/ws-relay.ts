import { createServer as createHttpServer } from 'node:http';
import { connect, createServer } from 'node:net';
import { WebSocketServer } from 'ws';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface WsRelay {
  port: number;
  connections: () => number;
  close(): Promise<void>;
}

/**
 * What Neon's proxy does, on loopback: each WebSocket connection is piped to the Postgres TCP
 * address named in `?address=host:port`, or, with `target`, always to that one server (the
 * simulation links a Neon-looking host that resolves nowhere). Lets the real
 * `@neondatabase/serverless` driver talk to a real local server.
 */
export async function startWsRelay(
  options: { port?: number; target?: { host: string; port: number } } = {},
): Promise<WsRelay> {
  const port = options.port ?? (await freePort());
  const http = createHttpServer();
  const wss = new WebSocketServer({ server: http });
  let total = 0;
  wss.on('connection', (ws, req) => {
    total++;
    const address = new URL(req.url ?? '/', 'http://relay').searchParams.get('address') ?? '';
    const [host, p] = address.split(':');
    const tcp = options.target
      ? connect(options.target.port, options.target.host)
      : connect(Number(p), host ?? '127.0.0.1');
    const pending: Buffer[] = [];
    let open = false;
    tcp.on('connect', () => {
      open = true;
      for (const b of pending) tcp.write(b);
      pending.length = 0;
    });
    ws.on('message', (data: Buffer) => (open ? tcp.write(data) : pending.push(data)));
    tcp.on('data', (d) => ws.readyState === ws.OPEN && ws.send(d));
    const closeBoth = () => {
      tcp.destroy();
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
    };
    tcp.on('close', closeBoth);
    tcp.on('error', closeBoth);
    ws.on('close', closeBoth);
    ws.on('error', closeBoth);
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  return {
    port,
    connections: () => total,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        http.close(() => resolve());
      }),
  };
}
