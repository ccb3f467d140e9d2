import { openDatabase, resolveDbConfig, verifyConnection } from '@genledger/db';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/postgres-server.ts';

describe('database configuration', () => {
  it('resolves explicit options over the environment over the embedded default', () => {
    expect(resolveDbConfig({}, {})).toMatchObject({
      driver: 'pglite',
      url: undefined,
      schema: 'genledger',
      dataDir: '.data',
    });
    const fromEnv = resolveDbConfig(
      {},
      { DATABASE_URL: 'postgres://u:p@db.internal:5432/app', DB_SCHEMA: 'svc_a', DB_POOL_MAX: '3' },
    );
    expect(fromEnv).toMatchObject({
      driver: 'pg',
      schema: 'svc_a',
      pool: { max: 3, statementTimeoutMs: 30_000 },
    });
    const neon = resolveDbConfig(
      {},
      { DATABASE_URL: 'postgresql://u:p@ep-cool-1234-pooler.eu-central-1.aws.neon.tech/neondb' },
    );
    expect(neon.driver).toBe('neon');
    const explicit = resolveDbConfig(
      { schema: 'svc_b', url: 'postgres://x@h/db', pool: { max: 1 } },
      { DB_SCHEMA: 'svc_a', DATABASE_URL: 'postgres://y@z/db' },
    );
    expect(explicit).toMatchObject({ schema: 'svc_b', url: 'postgres://x@h/db', pool: { max: 1 } });
  });

  it('stops on bad configuration with one line naming the variable', () => {
    expect(() => resolveDbConfig({}, { DATABASE_URL: 'mysql://nope' })).toThrow(
      /^DATABASE_URL: must be a postgres/,
    );
    expect(() => resolveDbConfig({}, { DB_SCHEMA: 'Bad-Name' })).toThrow(
      /^DB_SCHEMA: must be a lower-case Postgres identifier/,
    );
    expect(() => resolveDbConfig({}, { DB_POOL_MAX: '0' })).toThrow(/^DB_POOL_MAX: /);
    expect(() => resolveDbConfig({}, { DB_DRIVER: 'neon' })).toThrow(
      /^DATABASE_URL: required for the neon driver/,
    );
  });

  it('names what failed when the server cannot be reached, without the password', async () => {
    const port = await freePort();
    const database = await openDatabase(
      { url: `postgres://app:s3cret@127.0.0.1:${port}/app`, pool: { connectTimeoutMs: 2000 } },
      {},
    );
    try {
      const error = await verifyConnection(database).then(
        () => undefined,
        (e: unknown) => e as Error & { kind: string },
      );
      expect(error?.kind).toBe('unavailable');
      expect(error?.message).toBe(
        `cannot reach the database at postgres://app@127.0.0.1:${port}/app: connection refused`,
      );
      expect(error?.message).not.toContain('s3cret');
    } finally {
      await database.close();
    }
  });
});
