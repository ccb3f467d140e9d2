import { neonConfig, Pool } from '@neondatabase/serverless';
import { drizzle } from 'drizzle-orm/neon-serverless';
import type { DbConfig } from '../config.ts';
import type { Db, OpenedDriver } from './types.ts';

async function ensureWebSocket() {
  // Node 22+ (the Lambda runtime) has a global WebSocket; Node 20 needs the `ws` package.
  if (neonConfig.webSocketConstructor || typeof globalThis.WebSocket === 'function') return;
  const ws = await import('ws');
  neonConfig.webSocketConstructor = ws.default as unknown as typeof WebSocket;
}

export async function openNeon(config: DbConfig): Promise<OpenedDriver> {
  await ensureWebSocket();
  if (config.neon) {
    const { wsProxy, useSecureWebSocket, pipelineTLS, pipelineConnect, forceDisablePgSSL } = config.neon;
    if (wsProxy !== undefined) neonConfig.wsProxy = wsProxy;
    if (useSecureWebSocket !== undefined) neonConfig.useSecureWebSocket = useSecureWebSocket;
    if (pipelineTLS !== undefined) neonConfig.pipelineTLS = pipelineTLS;
    if (pipelineConnect !== undefined) neonConfig.pipelineConnect = pipelineConnect;
    if (forceDisablePgSSL !== undefined) neonConfig.forceDisablePgSSL = forceDisablePgSSL;
  }
  const pool = new Pool({
    connectionString: config.url,
    max: config.pool.max,
    idleTimeoutMillis: config.pool.idleTimeoutMs,
    maxLifetimeSeconds: config.pool.maxLifetimeSeconds,
    connectionTimeoutMillis: config.pool.connectTimeoutMs,
    statement_timeout: config.pool.statementTimeoutMs || undefined,
    lock_timeout: config.pool.lockTimeoutMs || undefined,
    idle_in_transaction_session_timeout: config.pool.idleInTransactionTimeoutMs || undefined,
  } as ConstructorParameters<typeof Pool>[0]);
  pool.on('error', () => {});
  pool.on('connect', (client: { on(event: 'error', fn: () => void): void }) => client.on('error', () => {}));
  const db = drizzle({ client: pool }) as unknown as Db;
  return { db, close: () => pool.end() };
}
