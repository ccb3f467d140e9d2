import {
  appliedMigrationState,
  checkHealth,
  LATEST_MIGRATION,
  migrate,
  readMigrations,
  rowsOf,
} from '@genledger/db';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ALL_TARGETS, uniqueSchema, useDatabases } from '../support/databases.ts';

const dbs = useDatabases();

describe.each(ALL_TARGETS)('migrations on %s', (target) => {
  it('creates every table in the configured schema and records each migration once', async () => {
    const database = await dbs.open(target, { migrated: false });
    const first = await migrate(database);
    expect(first.applied).toEqual(readMigrations().map((m) => m.tag));
    const again = await migrate(database);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toBe(readMigrations().length);

    const tables = await rowsOf<{ table_name: string }>(
      database.db.execute(
        sql`select table_name from information_schema.tables where table_schema = ${database.schema} order by 1`,
      ),
    );
    expect(tables.map((t) => t.table_name)).toEqual([
      '__drizzle_migrations',
      'api_keys',
      'checkpoints',
      'daily_generation_stats',
      'events',
      'events_archive',
      'failed_message_attempts',
      'failed_messages',
      'failure_group_days',
      'failure_group_members',
      'failure_groups',
      'generation_runs',
      'generations',
      'retry_batches',
      'settings',
      'webhook_deliveries',
      'webhook_delivery_attempts',
      'webhook_endpoints',
    ]);
    const state = await appliedMigrationState(database);
    expect(state).toEqual({ latestCreatedAt: LATEST_MIGRATION.createdAt, count: LATEST_MIGRATION.count });
  });

  it('enforces the column limits and status checks of the data model', async () => {
    const database = await dbs.open(target);
    const g = database.tables.generations;
    const base = { id: crypto.randomUUID(), prompt: 'a cat' };
    await database.db.insert(g).values(base);
    const [row] = await database.db.select().from(g);
    expect(row).toMatchObject({
      model: 'sdxl',
      width: 1024,
      height: 1024,
      steps: 20,
      guidance: 7.5,
      status: 'pending',
      name: '',
      attempts: 0,
    });
    await expect(
      database.db.insert(g).values({ id: crypto.randomUUID(), prompt: 'x'.repeat(4001) }),
    ).rejects.toThrow();
    await expect(
      database.db.insert(g).values({ id: crypto.randomUUID(), prompt: 'x', status: 'exploded' as 'pending' }),
    ).rejects.toThrow();
    const count = await database.db.$count(g);
    expect(count).toBe(1);
  });

  it('reports health: current schema healthy (degraded when embedded), unmigrated unhealthy', async () => {
    const fresh = await dbs.open(target, { migrated: false });
    const before = await checkHealth(fresh);
    expect(before.status).toBe('Unhealthy');
    expect(before.checks.schema.detail).toMatch(/never been migrated/);
    await migrate(fresh);
    const after = await checkHealth(fresh);
    expect(after.status).toBe(target === 'pglite' ? 'Degraded' : 'Healthy');
    expect(after.checks.schema.status).toBe('Healthy');
    const ahead = await checkHealth(fresh, {
      ...LATEST_MIGRATION,
      createdAt: LATEST_MIGRATION.createdAt + 1,
      count: LATEST_MIGRATION.count + 1,
    });
    expect(ahead.status).toBe('Unhealthy');
    expect(ahead.checks.schema.detail).toMatch(/behind the code/);
  });
});

describe('migrations on a real server', () => {
  it('three migrators started at once on an empty database all succeed, each migration applied once', async () => {
    const schema = uniqueSchema('race');
    const [a, b, c] = await Promise.all(
      [0, 1, 2].map(() => dbs.open('postgres', { schema, migrated: false })),
    );
    const reports = await Promise.all([a!, b!, c!].map((d) => migrate(d)));
    const appliedTags = reports.flatMap((r) => r.applied);
    expect(appliedTags).toEqual(readMigrations().map((m) => m.tag));
    const rows = await rowsOf<{ n: number }>(
      a!.db.execute(sql.raw(`select count(*)::int as n from "${schema}"."__drizzle_migrations"`)),
    );
    expect(rows[0]!.n).toBe(readMigrations().length);
  });

  it('keeps two schemas in one database independent', async () => {
    const one = await dbs.open('postgres', { schema: uniqueSchema('svc_a') });
    const two = await dbs.open('postgres', { schema: uniqueSchema('svc_b') });
    await one.db.insert(one.tables.generations).values({ id: crypto.randomUUID(), prompt: 'only in one' });
    expect(await one.db.$count(one.tables.generations)).toBe(1);
    expect(await two.db.$count(two.tables.generations)).toBe(0);
    // Each schema keeps its own migration history.
    expect((await appliedMigrationState(two))?.count).toBe(LATEST_MIGRATION.count);
    const again = await migrate(two);
    expect(again.applied).toEqual([]);
  });
});
