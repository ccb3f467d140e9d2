import { noQueue } from '@genledger/api/no-queue';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { type LocalServer, startLocalServer } from '@genledger/local/server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';
import { encode, hostile } from '../support/hostile-strings.ts';

const dbs = useDatabases();

describe.each(['pglite', 'postgres'] as const)(
  'the console with strings Postgres cannot store, on %s',
  (target) => {
    let database: Database;
    let server: LocalServer;
    let cookie: string;
    beforeAll(async () => {
      database = await dbs.open(target);
      server = await startLocalServer({ database, port: 0, queue: noQueue, env: { LOG_LEVEL: 'silent' } });
      // An admin key with room for every request of the properties (a new key's limit is 100/min).
      const { key } = await new ApiKeyStore(database, new EventStore(database)).create(
        { name: 'console properties', isAdmin: true, rateLimit: 1_000_000 },
        {},
      );
      const signIn = await fetch(`${server.url}/console/signin`, {
        method: 'POST',
        body: new URLSearchParams({ key }),
        headers: { origin: server.url },
        redirect: 'manual',
      });
      expect(signIn.status).toBe(303);
      cookie = signIn.headers.get('set-cookie')!.split(';')[0]!;
    });
    afterAll(async () => server?.close());

    // Every write appends an event, so an unchanged event and generation count means nothing was written.
    const writes = async () => [
      await database.db.$count(database.tables.events),
      await database.db.$count(database.tables.generations),
    ];
    const page = async (path: string) => {
      const before = await writes();
      const res = await fetch(`${server.url}/console${path}`, { headers: { cookie }, redirect: 'manual' });
      await res.arrayBuffer();
      expect(res.status, `GET /console${path}`).toBeLessThan(500);
      expect(await writes()).toEqual(before);
    };

    it('hostile search, model, dates and ids are never a 5xx and write nothing', async () => {
      for (const d of ['0000-01-01', '2024-02-30', '9999-12-31', '0001-01-01'])
        await page(`/generations?from=${d}&to=${d}`);
      await fc.assert(
        fc.asyncProperty(hostile, hostile, async (q, other) => {
          await page(`/generations?q=${encode(q)}&model=${encode(other)}&cursor=${encode(other)}`);
          await page(`/failed/messages?q=${encode(q)}&cursor=${encode(other)}`);
          await page(`/generations/${encode(other)}`);
          await page(`/failed/messages/${encode(other)}`);
        }),
        { numRuns: 15 },
      );
    });
  },
);
