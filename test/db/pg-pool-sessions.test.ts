import { type Database, rowsOf } from '@genledger/db';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';

const dbs = useDatabases();

/**
 * The pg driver's pool keeps a connection whose statement the server refused (a lock timeout, a
 * unique violation, a statement timeout) instead of closing it as pg-pool does: the next request
 * needs no new connection. A connection the server ended is still replaced.
 */
describe('the pg pool after a failed statement', () => {
  const pidOf = async (db: Database['db']) =>
    (await rowsOf<{ pid: number }>(db.execute(sql`select pg_backend_pid() as pid`)))[0]!.pid;

  it('keeps the session after a refused statement, a lock timeout included', async () => {
    const database = await dbs.open('postgres', { pool: { max: 1, lockTimeoutMs: 200 } });
    const before = await pidOf(database.db);
    await expect(database.db.execute(sql`select 1 / 0`)).rejects.toMatchObject({
      cause: { code: '22012' },
    });
    // A lock timeout: the row is held by a transaction on a connection of its own.
    await database.db.execute(sql`create table ${sql.raw(`"${database.schema}"`)}.held (id int primary key)`);
    await database.db.execute(sql`insert into ${sql.raw(`"${database.schema}"`)}.held values (1)`);
    const holder = new pg.Client({ connectionString: database.config.url });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query(`select 1 from "${database.schema}".held where id = 1 for update`);
      await expect(
        database.db.execute(sql`update ${sql.raw(`"${database.schema}"`)}.held set id = 2 where id = 1`),
      ).rejects.toMatchObject({ cause: { code: '55P03' } });
    } finally {
      await holder.query('rollback');
      await holder.end();
    }
    expect(await pidOf(database.db)).toBe(before);
  });

  it('replaces a session the server ended', async () => {
    const database = await dbs.open('postgres', { pool: { max: 1 } });
    const before = await pidOf(database.db);
    await expect(database.db.execute(sql`select pg_terminate_backend(pg_backend_pid())`)).rejects.toThrow();
    const after = await pidOf(database.db);
    expect(after).not.toBe(before);
  });
});
