import { type Database, type DbOptions, migrate, openDatabase } from '@genledger/db';
import { afterAll, beforeAll } from 'vitest';
import { startPostgres, type TestServer } from './postgres-server.ts';
import { startWsRelay } from './ws-relay.ts';

export type TargetName = 'pglite' | 'postgres' | 'neon';
export const ALL_TARGETS: TargetName[] = ['pglite', 'postgres', 'neon'];

let schemaCounter = 0;
export const uniqueSchema = (prefix = 't') => `${prefix}_${process.pid}_${schemaCounter++}`;

/**
 * Per test file: starts what the targets need (one real server, one WebSocket relay) and opens
 * migrated databases on demand, each in a schema of its own. Everything is closed after the file.
 */
export function useDatabases() {
  let server: TestServer | undefined;
  let relay: Awaited<ReturnType<typeof startWsRelay>> | undefined;
  const opened: Database[] = [];

  beforeAll(async () => {
    server = await startPostgres();
    relay = await startWsRelay();
  });
  afterAll(async () => {
    for (const d of opened.splice(0)) await d.close().catch(() => {});
    await relay?.close();
    await server?.stop();
  });

  function options(target: TargetName, extra: DbOptions = {}): DbOptions {
    switch (target) {
      case 'pglite':
        return { driver: 'pglite', dataDir: 'memory://', ...extra };
      case 'postgres':
        return { driver: 'pg', url: server!.url, pool: { max: 10 }, ...extra };
      case 'neon':
        return {
          driver: 'neon',
          url: server!.url,
          pool: { max: 10 },
          neon: {
            wsProxy: (host, port) => `127.0.0.1:${relay!.port}/v1?address=${host}:${port}`,
            useSecureWebSocket: false,
            pipelineTLS: false,
            pipelineConnect: false,
          },
          ...extra,
        };
    }
  }

  async function open(target: TargetName, extra: DbOptions & { migrated?: boolean } = {}): Promise<Database> {
    const { migrated = true, ...rest } = extra;
    const database = await openDatabase(options(target, { schema: uniqueSchema(target), ...rest }), {});
    opened.push(database);
    if (migrated) await migrate(database);
    return database;
  }

  return {
    open,
    options,
    server: () => server!,
    relay: () => relay!,
  };
}
