import { createServer as createHttpServer } from 'node:http';
import { connect } from 'node:net';
import { WebSocketServer } from 'ws';
import { freePort } from './postgres-server.ts';

/**
 * What Neon's proxy does, on loopback: each WebSocket connection is piped to the Postgres TCP
 * address named in `?address=host:port`. Lets the real `@neondatabase/serverless` driver talk to
 * a real local server.
 */
export async function startWsRelay(): Promise<{
  port: number;
  connections: () => number;
  close(): Promise<void>;
}> {
  const port = await freePort();
  const http = createHttpServer();
  const wss = new WebSocketServer({ server: http });
  let total = 0;
  wss.on('connection', (ws, req) => {
    total++;
    const address = new URL(req.url ?? '/', 'http://relay').searchParams.get('address') ?? '';
    const [host, p] = address.split(':');
    const tcp = connect(Number(p), host ?? '127.0.0.1');
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
