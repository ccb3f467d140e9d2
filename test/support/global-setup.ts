// Once per test run (vitest globalSetup, in the main process): the PostgreSQL the test files use,
// a database on it migrated once as the template each test database is cloned from, and a PGlite
// data directory initialised once, which each worker's PGlite is loaded from instead of initdb.
// The run waits for the PostgreSQL servers only: the PGlite data directory is written meanwhile by
// a process of its own, and the files that load it wait for it (pglite-data-dir.ts).
//
// One embedded cluster per worker slot (VITEST_POOL_ID), not one for all: the event feed reads up
// to `pg_snapshot_xmin(pg_current_snapshot())`, and a snapshot's xmin counts every write
// transaction open on the cluster, in any database. With two files on one cluster, one file's
// open transaction held back the other's replay (event-store.test.ts read [] of 45 events while
// failure-group-counts.test.ts ran beside it). A slot runs one file at a time, so each file has
// its cluster to itself, as it had when it started its own; two start per run, not 26.
// TEST_DATABASE_URL is one server for every slot: there the files take turns (databases.ts).
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrate, openDatabase } from '@genledger/db';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startPostgres } from './postgres-server.ts';

/** The schema every cloned test database has, migrated (not `genledger`: the name is configurable). */
export const TEMPLATE_SCHEMA = 't_cloned';

export interface SharedPostgres {
  /** A database of the run's own on the server, to connect to for CREATE/DROP DATABASE. */
  adminUrl: string;
  /** The migrated database each test database is a copy of. */
  template: string;
  /** Every database the run creates is named with it, so teardown finds what a crashed file left. */
  prefix: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** One per worker slot: a file uses `[(VITEST_POOL_ID - 1) % length]`. */
    sharedPostgres: SharedPostgres[];
    /** Where a PGlite data directory after initdb (a tar file, from `dumpDataDir`) is being written. */
    pgliteDataDir: string;
  }
}

interface Shared {
  provided: { sharedPostgres: SharedPostgres[]; pgliteDataDir: string };
  users: number;
  teardown(): Promise<void>;
}

// The int and e2e projects each name this file; the first starts what they share, the last stops it.
const key = Symbol.for('genledger.test.shared');
const registry = globalThis as typeof globalThis & { [key]?: Promise<Shared> };

export default async function setup(project: TestProject) {
  registry[key] ??= start(Math.max(1, Number(project.vitest.config.maxWorkers) || 1));
  const shared = await registry[key];
  shared.users++;
  project.provide('sharedPostgres', shared.provided.sharedPostgres);
  project.provide('pgliteDataDir', shared.provided.pgliteDataDir);
  return async () => {
    if (--shared.users > 0) return;
    delete registry[key];
    await shared.teardown();
  };
}

async function start(slots: number): Promise<Shared> {
  const run = `gl_${process.pid}_${Date.now().toString(36)}`;
  const count = process.env.TEST_DATABASE_URL ? 1 : slots;
  const pgliteDataDir = join(tmpdir(), `${run}-pglite.tar`);
  const pglite = initialisePglite(pgliteDataDir);
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) => sharedServer(`${run}_${i + 1}`)),
  );
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const teardown = async () => {
    await Promise.all(servers.map((s) => s.teardown()));
    await pglite;
    for (const f of [pgliteDataDir, `${pgliteDataDir}.failed`]) rmSync(f, { force: true });
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await teardown();
    throw failed.reason;
  }
  return {
    provided: { sharedPostgres: servers.map((s) => s.shared), pgliteDataDir },
    users: 0,
    teardown,
  };
}

interface Server {
  shared: SharedPostgres;
  teardown(): Promise<void>;
}

/** A server (TEST_DATABASE_URL when set: a database of the run's own on it; else embedded) and its template. */
async function sharedServer(prefix: string): Promise<Server> {
  const server = await startPostgres({ maxConnections: 300 });
  const admin = new pg.Client({ connectionString: server.url });
  try {
    await admin.connect();
    const template = `${prefix}_template`;
    await admin.query(`create database ${template}`);
    const url = new URL(server.url);
    url.pathname = `/${template}`;
    const database = await openDatabase(
      { driver: 'pg', url: url.toString(), schema: TEMPLATE_SCHEMA, pool: { max: 1 } },
      {},
    );
    try {
      await migrate(database);
    } finally {
      // A database is copied only while nobody is connected to it.
      await database.close();
    }
    return {
      shared: { adminUrl: server.url, template, prefix },
      teardown: async () => {
        try {
          const { rows } = await admin.query<{ datname: string }>(
            'select datname from pg_database where datname like $1',
            [`${prefix}\\_%`],
          );
          for (const { datname } of rows)
            await admin.query(`drop database if exists "${datname}" with (force)`);
        } finally {
          await admin.end().catch(() => {});
          await server.stop();
        }
      },
    };
  } catch (e) {
    await admin.end().catch(() => {});
    await server.stop().catch(() => {});
    throw e;
  }
}

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * initdb once: PGlite spends most of its start there (≈ 3 of 4 s here, several times that on a
 * loaded machine). In a process of its own: its wasm holds the event loop for seconds, and in this
 * process it held back the PostgreSQL starts beside it (and vitest's own work). Written aside and
 * renamed, so a reader never sees half of it; a failure leaves `<file>.failed` with the reason.
 */
function initialisePglite(file: string): Promise<void> {
  const script = `
    import { renameSync, writeFileSync } from 'node:fs';
    import { PGlite } from '@electric-sql/pglite';
    const [file] = process.argv.slice(1);
    const pglite = await PGlite.create('memory://');
    const dump = await pglite.dumpDataDir('none');
    await pglite.close();
    writeFileSync(file + '.part', new Uint8Array(await dump.arrayBuffer()));
    renameSync(file + '.part', file);
  `;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script, file],
      { cwd: ROOT },
      (error, _out, err) => {
        if (error) writeFileSync(`${file}.failed`, `${error.message}\n${err}`);
        rmSync(`${file}.part`, { force: true });
        resolve();
      },
    );
  });
}
