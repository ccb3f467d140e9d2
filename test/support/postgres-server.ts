import { rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@genledger/sim/ws-relay';
import EmbeddedPostgres from './embedded-postgres.ts';

export interface TestServer {
  /** Connection URL to a fresh database of its own. */
  url: string;
  host: string;
  port: number;
  stop(): Promise<void>;
  /**
   * Embedded server only: stop the server process (a fast shutdown that ends every session) and
   * start it again on the same port and data, as a database restart looks to its clients.
   */
  pause?(): Promise<void>;
  resume?(): Promise<void>;
}

// One free-port helper for the tests and the simulation alike.
export { freePort };

let counter = 0;

/**
 * A real PostgreSQL server: `TEST_DATABASE_URL` when given (a fresh database is created on it),
 * otherwise an embedded-postgres cluster of our own on a free loopback port. The test run shares
 * one (test/support/global-setup.ts); a file that stops and starts its server on purpose
 * (test/api/database-restart.test.ts) and the benches start their own.
 */
export async function startPostgres(
  options: {
    embedded?: boolean;
    /** Environment for the embedded server's process (the package passes on this process's own). */
    serverEnv?: Record<string, string>;
    maxConnections?: number;
  } = {},
): Promise<TestServer> {
  const name = `gl_test_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const given = options.embedded ? undefined : process.env.TEST_DATABASE_URL;
  if (given) {
    const pg = (await import('pg')).default;
    const admin = new pg.Client({ connectionString: given });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const u = new URL(given);
    u.pathname = `/${name}`;
    return {
      url: u.toString(),
      host: u.hostname,
      port: Number(u.port || 5432),
      stop: async () => {
        const a = new pg.Client({ connectionString: given });
        await a.connect();
        await a.query(`drop database if exists ${name} with (force)`);
        await a.end();
      },
    };
  }
  if (process.getuid?.() === 0) refuseUnreachableBinaries();
  // Not pre-created: initdb (run as the `postgres` user under root) must own the directory.
  const dir = join(tmpdir(), `genledger-pg-${name}`);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    user: 'postgres',
    password: 'postgres',
    port,
    // Kept across pause()/resume(); stop() removes the directory itself.
    persistent: true,
    // Postgres refuses to run as root; CI runs as root, so the package runs it as a `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    // No fsync at the end of initdb (≈ 1–3 s of a start here, waiting on the disk): the server
    // runs with fsync=off anyway, and a test cluster outlives no crash.
    initdbFlags: ['--no-sync'],
    postgresFlags: [
      '-c',
      `max_connections=${options.maxConnections ?? 200}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    onLog: () => {},
    onError: () => {},
  });
  // embedded-postgres spawns the server with `process.env` as it is at that moment.
  const start = async () => {
    const saved = Object.entries(options.serverEnv ?? {}).map(([k]) => [k, process.env[k]] as const);
    Object.assign(process.env, options.serverEnv);
    try {
      await server.start();
    } finally {
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  };
  await server.initialise();
  await start();
  await server.createDatabase(name);
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/${name}`,
    host: '127.0.0.1',
    port,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    pause: () => server.stop(),
    resume: start,
  };
}

/**
 * Under root the server runs as a `postgres` user, who must be able to reach its binaries: a
 * checkout inside a directory only root may enter (`mktemp -d` makes one, mode 0700) otherwise
 * fails every test file after a two-minute timeout with `spawn … initdb EACCES`. Say so at once.
 */
function refuseUnreachableBinaries() {
  // The binaries are in this checkout's node_modules: every directory above this file must open.
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      throw new Error(
        `${dir} is not searchable by other users (mode ${(statSync(dir).mode & 0o777).toString(8)}): under root the test PostgreSQL runs as a 'postgres' user and cannot reach its binaries; run from a checkout others can enter (chmod o+x ${dir}) or set TEST_DATABASE_URL`,
      );
    }
    if (dirname(dir) === dir) return;
  }
}
