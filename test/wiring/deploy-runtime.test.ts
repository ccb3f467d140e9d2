import { openDatabase } from '@genledger/db/connect';
import { isStaleConnectionError, lambdaDatabase, retryStaleStatements } from '@genledger/db/lambda-database';
import { linkedEnvironment } from '@genledger/wiring/linked-environment';
import { runMigration } from '@genledger/wiring/migration';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { rowsOf } from '../../packages/db/src/executor.ts';
import { uniqueSchema, useDatabases } from '../support/databases.ts';
import { lockWaiters } from '../support/locks.ts';

const dbs = useDatabases();

describe('linked SST resources', () => {
  const resources = {
    DatabaseUrl: { type: 'sst.sst.Secret', value: 'postgres://pooled.example/db' },
    DatabaseDirectUrl: { type: 'sst.sst.Secret', value: 'postgres://direct.example/db' },
    Queue: { type: 'sst.aws.Queue', url: 'https://sqs.example/q' },
    AdminApiKey: { type: 'sst.sst.Secret', value: 'k'.repeat(40) },
    Outputs: { type: 'sst.aws.Bucket', name: 'genledger-production-outputsbucket-abcd' },
  };

  it('become the plain variables the code reads; the migrator gets the direct URL', () => {
    expect(linkedEnvironment({}, 'function', resources)).toMatchObject({
      DATABASE_URL: 'postgres://pooled.example/db',
      QUEUE_URL: 'https://sqs.example/q',
      ADMIN_API_KEY: 'k'.repeat(40),
      OUTPUT_BUCKET: 'genledger-production-outputsbucket-abcd',
    });
    expect(linkedEnvironment({}, 'migrate', resources).OUTPUT_BUCKET).toBeUndefined();
    expect(linkedEnvironment({}, 'migrate', resources)).toMatchObject({
      DATABASE_URL: 'postgres://direct.example/db',
    });
    expect(linkedEnvironment({}, 'migrate', resources).QUEUE_URL).toBeUndefined();
  });

  it('never override a plainly set variable', () => {
    expect(
      linkedEnvironment({ DATABASE_URL: 'postgres://override/db' }, 'function', resources).DATABASE_URL,
    ).toBe('postgres://override/db');
  });
});

describe('the migration function under SST configuration', () => {
  it('migrates through the linked direct URL, ensures the admin key once, and is a no-op the second time', async () => {
    const schema = uniqueSchema('deploy');
    const env = { DB_SCHEMA: schema };
    const resources = {
      DatabaseDirectUrl: { value: dbs.server().url },
      AdminApiKey: { value: `deploy-admin-key-${'z'.repeat(30)}` },
    };
    const first = await runMigration(env, resources);
    expect(first.applied.length).toBeGreaterThan(0);
    expect(first.adminKey).toBe('created');
    const second = await runMigration(env, resources);
    expect(second).toMatchObject({ applied: [], adminKey: 'present' });
    await expect(
      runMigration({ DB_SCHEMA: schema }, { DatabaseDirectUrl: { value: 'postgres://u:p@127.0.0.1:1/x' } }),
    ).rejects.toThrow(/cannot reach the database at postgres:\/\/u@127\.0\.0\.1:1\/x/);
  });
});

describe('warm Lambda connections', () => {
  it('reuses one database per configuration', async () => {
    const env = { DATABASE_URL: dbs.server().url, DB_SCHEMA: uniqueSchema('warm') };
    const a = await lambdaDatabase(env);
    expect(await lambdaDatabase(env)).toBe(a);
    expect(a.config.pool.max).toBe(2);
    await a.close();
  });

  it('runs a statement again when its connection was killed under it, but never retries a real error', async () => {
    const database = retryStaleStatements(
      await openDatabase(
        // No lock timeout: its statement waits below for as long as the test holds the lock.
        {
          driver: 'pg',
          url: dbs.server().url,
          schema: uniqueSchema('stale'),
          pool: { max: 1, lockTimeoutMs: 0 },
        },
        {},
      ),
    );
    try {
      const admin = new pg.Client({ connectionString: dbs.server().url });
      await admin.connect();
      const [{ pid }] = (await rowsOf<{ pid: number }>(
        database.db.execute(sql`select pg_backend_pid() as pid`),
      )) as [{ pid: number }];
      // The backend dies mid-statement, as when Neon or a proxy drops a frozen function's connection:
      // the statement waits for a lock held here, is seen waiting, and its backend is terminated.
      await admin.query('select pg_advisory_lock(7)');
      const slow = rowsOf<{ v: number }>(
        database.db.execute(sql`select 42 as v from pg_advisory_xact_lock(7)`),
      );
      await lockWaiters(dbs.server().url);
      await admin.query('select pg_terminate_backend($1)', [pid]);
      await admin.query('select pg_advisory_unlock(7)');
      expect(await slow).toEqual([{ v: 42 }]);
      const [{ pid: after }] = (await rowsOf<{ pid: number }>(
        database.db.execute(sql`select pg_backend_pid() as pid`),
      )) as [{ pid: number }];
      expect(after).not.toBe(pid);

      const table = sql.raw(`"${database.schema}".once`);
      await database.db.execute(sql.raw(`create schema "${database.schema}"`));
      await database.db.execute(sql`create table ${table} (id int primary key)`);
      await database.db.execute(sql`insert into ${table} values (1)`);
      const error = await database.db.execute(sql`insert into ${table} values (1)`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeDefined();
      expect(isStaleConnectionError(error)).toBe(false);
      const [{ n }] = (await rowsOf<{ n: number }>(
        database.db.execute(sql`select count(*)::int as n from ${table}`),
      )) as [{ n: number }];
      expect(n).toBe(1);
      await admin.end();
    } finally {
      await database.close();
    }
  });
});
