// One connection on Neon's serverless driver, as the floor and the stack's floor open it:
// `DB_NEON_WS_PROXY` points it at the local relay that stands in for Neon's proxy, as the
// functions' own driver is (bench: cold-start).
import { Client, neonConfig } from '@neondatabase/serverless';

export async function neonClient(): Promise<Client> {
  const proxy = process.env.DB_NEON_WS_PROXY;
  if (proxy) {
    neonConfig.wsProxy = (host, port) => proxy.replaceAll('{host}', host).replaceAll('{port}', String(port));
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
  }
  if (typeof globalThis.WebSocket !== 'function') {
    // Node 20 has no global WebSocket; the functions load `ws` there too (drivers/neon.ts).
    neonConfig.webSocketConstructor = (await import('ws')).default as unknown as typeof WebSocket;
  }
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  return client;
}
