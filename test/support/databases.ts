import { PGlite } from '@electric-sql/pglite';
import { type Database, type DbOptions, migrate, openDatabase } from '@genledger/db';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { TEMPLATE_SCHEMA } from './global-setup.ts';
import { pgliteDataDir } from './pglite-data-dir.ts';
import { startWsRelay } from './ws-relay.ts';

export type TargetName = 'pglite' | 'postgres' | 'neon';
export const ALL_TARGETS: TargetName[] = ['pglite', 'postgres', 'neon'];

let schemaCounter = 0;
export const uniqueSchema = (prefix = 't') => `${prefix}_${process.pid}_${schemaCounter++}`;

let databaseCounter = 0;

/**
 * One PGlite per worker process, loaded from the data directory the run initialised once. The int
 * project runs its files in a worker one after another without isolation: they share it, each
 * test in a schema of its own (dropped after its file).
 */
let workerPglite: Promise<PGlite> | undefined;
const pgliteOfWorker = () =>
  (workerPglite ??= pgliteDataDir().then((loadDataDir) => PGlite.create('memory://', { loadDataDir })));

/** The session lock a test file holds on its server while it runs: "genl" and "test". */
const SERVER_TURN = 0x67656e6c_74657374n.toString();

/**
 * Per test file, over its worker slot's PostgreSQL (test/support/global-setup.ts):
 * - `open('postgres' | 'neon')`: a database of its own, copied from the template the run migrated
 *   once (CREATE DATABASE … TEMPLATE), its tables in the template's schema;
 * - `open('pglite')`: a schema of its own, migrated, in the worker's one in-process PGlite (loaded
 *   from a data directory initialised once per run: initdb is most of a PGlite's start);
 * - with an explicit `schema`, or `migrated: false`: that schema (migrated or not) in this file's
 *   own database on the server (`server().url`), or in the worker's PGlite.
 * A WebSocket relay carries the Neon driver to the server. Everything is closed and dropped after
 * the file.
 */
export function useDatabases() {
  // The worker slot's server: no other file uses it while this one runs (see global-setup.ts).
  const servers = inject('sharedPostgres');
  const shared = servers[(Number(process.env.VITEST_POOL_ID ?? 1) - 1) % servers.length]!;
  let relay: Awaited<ReturnType<typeof startWsRelay>> | undefined;
  let admin: pg.Client | undefined;
  let fileUrl: string | undefined;
  const created: string[] = [];
  const opened: Database[] = [];
  const pgliteSchemas: string[] = [];

  const urlOf = (name: string) => {
    const u = new URL(shared.adminUrl);
    u.pathname = `/${name}`;
    return u.toString();
  };
  const createDatabase = async (template?: string) => {
    const name = `${shared.prefix}_${process.pid}_${databaseCounter++}`;
    created.push(name);
    await admin!.query(`create database ${name}${template ? ` template ${template}` : ''}`);
    return urlOf(name);
  };

  beforeAll(async () => {
    relay = await startWsRelay();
    admin = new pg.Client({ connectionString: shared.adminUrl });
    await admin.connect();
    // One file at a time on a server: the event feed's horizon counts write transactions in every
    // database of the server, so a file beside another would read the other's open transactions
    // as its own late commits. Each worker slot has a cluster of its own, so this waits for
    // nobody, except on TEST_DATABASE_URL, one server for every slot (and for other runs on it).
    await admin.query('select pg_advisory_lock($1)', [SERVER_TURN]);
    fileUrl = await createDatabase();
  });
  afterAll(async () => {
    for (const d of opened.splice(0)) await d.close().catch(() => {});
    if (pgliteSchemas.length) {
      const pglite = await pgliteOfWorker();
      for (const schema of pgliteSchemas.splice(0))
        await pglite.exec(`drop schema if exists "${schema}" cascade`);
    }
    await relay?.close();
    try {
      for (const name of created.splice(0))
        await admin?.query(`drop database if exists ${name} with (force)`);
    } finally {
      await admin?.end();
    }
  });

  function options(target: TargetName, extra: DbOptions = {}): DbOptions {
    switch (target) {
      case 'pglite':
        return { driver: 'pglite', dataDir: 'memory://', ...extra };
      case 'postgres':
        return { driver: 'pg', url: fileUrl!, pool: { max: 10 }, ...extra };
      case 'neon':
        return {
          driver: 'neon',
          url: fileUrl!,
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
    let database: Database;
    if (target === 'pglite') {
      database = await openDatabase(
        options(target, { schema: uniqueSchema(target), ...rest, pglite: await pgliteOfWorker() }),
        {},
      );
      pgliteSchemas.push(database.schema);
    } else if (migrated && rest.schema === undefined) {
      // A copy of the migrated template: nothing to migrate.
      const url = await createDatabase(shared.template);
      database = await openDatabase(options(target, { url, schema: TEMPLATE_SCHEMA, ...rest }), {});
      opened.push(database);
      return database;
    } else {
      database = await openDatabase(options(target, { schema: uniqueSchema(target), ...rest }), {});
    }
    opened.push(database);
    if (migrated) await migrate(database);
    return database;
  }

  return {
    open,
    options,
    /** This file's own database on the server: a schema there is the test's to create. */
    server: () => ({ url: fileUrl! }),
    relay: () => relay!,
  };
}
