// A real PostgreSQL server for one bench, with a migrated schema on it.
import { type Database, openDatabase } from '@genledger/db/connect';
import { migrate } from '@genledger/db/migrator';
import { startBenchServer } from './bench-server.ts';

export async function benchDatabase(schema: string, poolMax: number, statementTimeoutMs?: number) {
  const server = await startBenchServer();
  let database: Database | undefined;
  try {
    database = await openDatabase(
      {
        driver: 'pg',
        url: server.url,
        schema,
        pool: { max: poolMax, ...(statementTimeoutMs === undefined ? {} : { statementTimeoutMs }) },
      },
      {},
    );
    await migrate(database);
  } catch (e) {
    await database?.close();
    await server.stop();
    throw e;
  }
  const opened = database;
  return {
    server,
    database: opened,
    async stop() {
      await opened.close();
      await server.stop();
    },
  };
}
