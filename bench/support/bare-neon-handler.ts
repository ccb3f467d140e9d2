// The floor of a cold start on the deployed driver: bare-handler.ts with Neon's serverless driver
// (one WebSocket connection, the one statement) in place of pg. `DB_NEON_WS_PROXY` points it at
// the local relay that stands in for Neon's proxy, as the functions' own driver is (bench:
// cold-start).
import { Client, neonConfig } from '@neondatabase/serverless';
import { type BareEvent, bareStatement } from './bare-statement.ts';

let client: Client | undefined;

export async function handler(event: BareEvent) {
  if (!client) {
    const proxy = process.env.DB_NEON_WS_PROXY;
    if (proxy) {
      neonConfig.wsProxy = (host, port) =>
        proxy.replaceAll('{host}', host).replaceAll('{port}', String(port));
      neonConfig.useSecureWebSocket = false;
      neonConfig.pipelineTLS = false;
      neonConfig.pipelineConnect = false;
    }
    if (typeof globalThis.WebSocket !== 'function') {
      // Node 20 has no global WebSocket; the functions load `ws` there too (drivers/neon.ts).
      neonConfig.webSocketConstructor = (await import('ws')).default as unknown as typeof WebSocket;
    }
    client = new Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
  }
  return bareStatement(client, event);
}
