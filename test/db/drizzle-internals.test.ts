// The one module that reaches into drizzle's internals (packages/db/src/drizzle-internals.ts):
// named prepared statements for hand-written SQL and the pool's query wrapper. If a drizzle upgrade
// moves them, these fail instead of the hot paths silently losing their prepared statements.
// And rowDecoder (table-rows.ts): raw rows of hand-written SQL typed as drizzle infers the table,
// whatever each driver hands back.

import { tablesFor } from '@genledger/db/schema/tables';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { compile, executeNamed, wrapPoolQuery } from '../../packages/db/src/drizzle-internals.ts';
import { executePrepared, fixedStatement, rowsOf } from '../../packages/db/src/executor.ts';
import { rowDecoder } from '../../packages/db/src/table-rows.ts';
import { ALL_TARGETS, useDatabases } from '../support/databases.ts';

const dbs = useDatabases();

describe.each(ALL_TARGETS)('drizzle internals on %s', (target) => {
  it('runs hand-written SQL as a named prepared statement, once planned per connection', async () => {
    const database = await dbs.open(target, { migrated: false, pool: { max: 1 } });
    const probe = (n: number) => sql`select ${n}::int + 1 as v`;
    expect(await executePrepared(database.db, 'gl_probe', probe(1))).toEqual([{ v: 2 }]);
    expect(await executePrepared(database.db, 'gl_probe', probe(41))).toEqual([{ v: 42 }]);
    const named = await rowsOf<{ name: string; statement: string }>(
      database.db.execute(
        sql`select name, statement from pg_prepared_statements where name like 'gl_probe_%'`,
      ),
    );
    if (target === 'pglite') {
      // PGlite's drizzle session runs every statement unnamed: in-process, there is no round trip to save.
      expect(named).toHaveLength(0);
    } else {
      expect(named).toHaveLength(1);
      expect(named[0]!.statement).toContain('$1::int + 1');
    }
    // Inside a transaction the statement runs on the transaction's own connection.
    const inTx = await database.db.transaction(async (tx) =>
      rowsOf(executeNamed(tx, 'gl_tx_probe', compile(tx, probe(2))!)!),
    );
    expect(inTx).toEqual([{ v: 3 }]);
  });

  it('compiles a fixed statement once and fills its placeholders per call, in and out of a transaction', async () => {
    const database = await dbs.open(target, { migrated: false, pool: { max: 1 } });
    let builds = 0;
    const add = fixedStatement<{ a: number; b: string }>('gl_fixed', (v) => {
      builds += 1;
      return sql`select ${v.a}::int + 1 as v, ${v.b}::text || '!' as w`;
    });
    expect(await add(database.db, { a: 1, b: 'x' })).toEqual([{ v: 2, w: 'x!' }]);
    expect(await add(database.db, { a: 41, b: 'y' })).toEqual([{ v: 42, w: 'y!' }]);
    expect(await database.db.transaction((tx) => add(tx, { a: 2, b: 'z' }))).toEqual([{ v: 3, w: 'z!' }]);
    // Built once with placeholders, never again: the values alone reach the driver.
    expect(builds).toBe(1);
  });

  it("wraps the client's query, which every statement outside a transaction goes through", async () => {
    const database = await dbs.open(target, { migrated: false, pool: { max: 1 } });
    let wrapped = 0;
    const ok = wrapPoolQuery(database.db, (run) => {
      wrapped += 1;
      return run();
    });
    expect(ok).toBe(true);
    expect(await rowsOf(database.db.execute(sql`select 7 as v`))).toEqual([{ v: 7 }]);
    expect(wrapped).toBe(1);
  });

  it("decodes raw rows into the table's inferred types: dates, integers, reals, nulls", async () => {
    const database = await dbs.open(target);
    const t = tablesFor(database.schema);
    const id = crypto.randomUUID();
    await database.db.execute(sql`
      insert into ${t.generations} (id, prompt, guidance, seed, started_at)
      values (${id}, 'a lighthouse', 7.5, null, '2026-11-23T10:00:00.123Z')`);
    const [raw] = await rowsOf<Record<string, unknown>>(
      database.db.execute(sql`select * from ${t.generations} where id = ${id}`),
    );
    const g = rowDecoder(t.generations)(raw!);
    expect(g.id).toBe(id);
    expect(g.width).toBe(1024);
    expect(g.guidance).toBe(7.5);
    expect(g.seed).toBeNull();
    expect(g.completedAt).toBeNull();
    expect(g.createdAt).toBeInstanceOf(Date);
    expect(g.startedAt?.toISOString()).toBe('2026-11-23T10:00:00.123Z');
    expect(g.status).toBe('pending');
  });
});
