import { noQueue } from '@genledger/api/no-queue';
import { isStorableString } from '@genledger/core/contracts/storable';
import { deadLetterRecord } from '@genledger/core/use-cases/failed-messages/ingest-dead-letter';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { FailedMessageStore } from '@genledger/db/failed-message-store';
import { type LocalServer, startLocalServer } from '@genledger/local/server';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';
import { encode, hostile } from '../support/hostile-strings.ts';

const dbs = useDatabases();
const ADMIN_KEY = `property-admin-key-${'c'.repeat(40)}`;

/** Bodies that are anything but a valid generation request: wrong types, ranges, extra fields, junk. */
const badGenerationBody = fc.oneof(
  fc
    .record(
      {
        prompt: fc.oneof(
          fc.constant(''),
          fc.string({ minLength: 4001, maxLength: 4100 }),
          fc.integer(),
          fc.constant(null),
        ),
        width: fc.oneof(fc.integer({ max: 63 }), fc.integer({ min: 4097 }), fc.double(), fc.string()),
        steps: fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 201 }), fc.constant('20')),
        guidance: fc.oneof(
          fc.double({ min: 50.0001, noNaN: true }),
          fc.constant(-1),
          fc.constant(Number.NaN),
        ),
        seed: fc.oneof(fc.double({ min: 0.1, max: 0.9 }), fc.constant(2 ** 40), fc.string()),
        model: fc.oneof(fc.constant(''), fc.string({ minLength: 101, maxLength: 120 })),
        name: fc.string({ minLength: 256, maxLength: 300 }),
        extra: fc.anything(),
      },
      { requiredKeys: [] },
    )
    .filter((o) => Object.keys(o).length > 0),
  fc.anything().filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)),
);

const rawBody = fc.oneof(
  badGenerationBody.map((b) => JSON.stringify(b) ?? 'undefined'),
  fc.string(),
  fc.string().map((s) => `{"prompt": ${s}`),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
);
const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/xml',
  '',
  'application/jsonx',
);
const queryValue = fc.oneof(
  fc.string(),
  fc.constantFrom('', '-', ',', '%', '0', '-1', '1e9', 'null', '[]', "'; drop table x; --"),
);
const queryKey = fc.constantFrom(
  'status',
  'model',
  'from',
  'to',
  'q',
  'sort',
  'limit',
  'cursor',
  'after',
  'bogus',
);

describe.each(['pglite', 'postgres'] as const)('property-based bad input on %s', (target) => {
  let database: Database;
  let server: LocalServer;
  beforeAll(async () => {
    database = await dbs.open(target);
    server = await startLocalServer({
      database,
      port: 0,
      // These tests look at accepted work before any worker touches it.
      queue: noQueue,
      env: { LOG_LEVEL: 'silent', ADMIN_API_KEY: ADMIN_KEY },
    });
  });
  afterAll(async () => server?.close());

  const counts = async () => [
    await database.db.$count(database.tables.generations),
    await database.db.$count(database.tables.events),
    await database.db.$count(database.tables.apiKeys),
    await database.db.$count(database.tables.settings),
  ];

  it('POST bodies: never a 5xx, never a write', async () => {
    const before = await counts();
    await fc.assert(
      fc.asyncProperty(
        rawBody,
        contentType,
        fc.constantFrom('/generations', '/api-keys', '/settings/retry.messagesPerSecond'),
        async (body, type, path) => {
          // Valid by accident (e.g. a settings value in range) is not what this property is about.
          fc.pre(!(path.startsWith('/settings') && /^\s*\{\s*"value"\s*:/.test(body)));
          fc.pre(!(path === '/api-keys' && /"name"/.test(body)));
          const res = await fetch(`${server.url}${path}`, {
            method: path.startsWith('/settings') ? 'PUT' : 'POST',
            headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(type ? { 'content-type': type } : {}) },
            body,
          });
          const text = await res.text();
          expect(res.status, text).toBeGreaterThanOrEqual(400);
          expect(res.status, text).toBeLessThan(500);
          expect(res.headers.get('content-type')).toContain('application/problem+json');
        },
      ),
      { numRuns: 150 },
    );
    expect(await counts()).toEqual(before);
  });

  it('GET query strings and path ids: never a 5xx, never a write', async () => {
    const before = await counts();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(queryKey, queryValue), { maxLength: 5 }),
        fc.constantFrom('/generations', '/events'),
        fc.oneof(fc.string(), fc.uuid()),
        async (pairs, path, id) => {
          const qs = new URLSearchParams(pairs).toString();
          const list = await fetch(`${server.url}${path}?${qs}`, {
            headers: { authorization: `Bearer ${ADMIN_KEY}` },
          });
          expect(list.status, await list.text()).toBeLessThan(500);
          const one = await fetch(`${server.url}/generations/${encodeURIComponent(id)}/runs`, {
            headers: { authorization: `Bearer ${ADMIN_KEY}` },
          });
          expect(one.status, await one.text()).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
    expect(await counts()).toEqual(before);
  });

  it('Authorization headers: never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 400 }), async (token) => {
        let res: Response;
        try {
          res = await fetch(`${server.url}/generations`, { headers: { authorization: `Bearer ${token}` } });
        } catch {
          return; // fetch itself refuses some header values (control characters): nothing was sent
        }
        expect(res.status).toBeLessThan(500);
        expect([200, 401]).toContain(res.status);
      }),
      { numRuns: 100 },
    );
  });

  describe('strings Postgres cannot store', () => {
    let key: string;
    let failedId: string;
    beforeAll(async () => {
      // Its own admin key with room for every request of the properties (the shared one is at 100/min).
      key = (
        await new ApiKeyStore(database, new EventStore(database)).create(
          { name: 'storable properties', isAdmin: true, rateLimit: 1_000_000 },
          {},
        )
      ).key;
      const ingested = await new FailedMessageStore(database, new EventStore(database)).ingest(
        deadLetterRecord({ messageId: 'm-1', body: 'not json', receiveCount: 1, queue: 'q' }),
      );
      failedId = ingested.id;
    });

    /** A field is either the hostile string or a valid value, so each one is tried on its own too. */
    const orValid = (valid: string) => fc.oneof(hostile, fc.constant(valid));

    // Every write appends an event (a generation, a key, a setting, a status change), so an
    // unchanged event count plus generation count means nothing was written.
    const writes = async () => [
      await database.db.$count(database.tables.events),
      await database.db.$count(database.tables.generations),
    ];
    const call = async (method: string, path: string, body?: unknown) => {
      const before = await writes();
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${key}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined || typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      const where = `${method} ${path} → ${res.status} ${text.slice(0, 300)}`;
      expect(res.status < 300 || (res.status >= 400 && res.status < 500), where).toBe(true);
      if (res.status >= 400) {
        expect(res.headers.get('content-type'), where).toContain('application/problem+json');
        expect(await writes(), `${where}: nothing is written on a 4xx`).toEqual(before);
      }
      return { status: res.status, body: text };
    };

    it('every string field: 2xx or a 4xx naming the field, and nothing written on a 4xx', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            prompt: orValid('a lighthouse'),
            name: orValid('n'),
            negativePrompt: orValid('fog'),
            model: orValid('sdxl'),
          }),
          hostile,
          hostile,
          async (generation, other, query) => {
            const g = await call('POST', '/generations', generation);
            if (g.status === 400) {
              const bad = Object.entries(generation).filter(([, v]) => !isStorableString(v));
              const fields = (JSON.parse(g.body) as { errors: { field: string }[] }).errors.map(
                (e) => e.field,
              );
              for (const [field] of bad) expect(fields).toContain(field);
            }
            const k = await call('POST', '/api-keys', { name: other });
            if (k.status === 400) expect(k.body).toContain('"field":"name"');
            await call('PUT', '/settings/generation.defaultModel', { value: other });
            await call('PUT', `/settings/${encode(other)}`, { value: 'x' });
            await call('GET', `/generations?q=${encode(query)}&model=${encode(other)}`);
            await call('GET', `/failed-messages?q=${encode(query)}`);
            await call('GET', `/generations/${encode(other)}`);
            await call('GET', `/failed-messages/${encode(other)}`);
            await call('POST', '/failed-messages/archive', { ids: [other] });
            await call('POST', '/failed-messages/archive', { ids: [failedId.slice(0, 9) + other] });
          },
        ),
        { numRuns: 30 },
      );
    });

    it('dates, floats and nesting Postgres cannot hold are a 400 naming the field', async () => {
      const cases: [string, string, unknown, string][] = [
        ['GET', '/generations?from=0000-01-01T00:00:00Z', undefined, 'from'],
        ['GET', '/generations?from=0000-01-01', undefined, 'from'],
        ['GET', '/failed-messages?to=9999-12-31T23:00:00-05:00', undefined, 'to'],
        ['POST', '/api-keys', { name: 'k', expiresAt: '9999-12-31T23:00:00-05:00' }, 'expiresAt'],
        ['POST', '/generations', { prompt: 'p', guidance: 1e-320 }, 'guidance'],
        // Sent as text: JSON.stringify itself would overflow on a value this deep.
        [
          'PUT',
          '/settings/retry.messagesPerSecond',
          `{"value":${'['.repeat(5000)}${']'.repeat(5000)}}`,
          'value',
        ],
      ];
      for (const [method, path, body, field] of cases) {
        const res = await call(method, path, body);
        expect(res.status, `${method} ${path}`).toBe(400);
        expect(res.body).toContain(`"field":"${field}"`);
      }
      // The edges of the range are fine.
      expect(
        (await call('GET', '/generations?from=0001-01-01T00:00:00Z&to=9999-12-31T23:59:59Z')).status,
      ).toBe(200);
    });

    it('failed-message ids are one bound array: quotes and backslashes are characters of an id', async () => {
      for (const ids of [['a\\'], ['"'], ['a,b'], [`${failedId.slice(0, 63)}\\`], ['a\\b'], ['{}']]) {
        const res = await call('POST', '/failed-messages/archive', { ids });
        expect(res.status, JSON.stringify(ids)).toBe(404);
      }
      const res = await call('POST', '/failed-messages/archive', { ids: [failedId, failedId] });
      expect(res.status, res.body).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ changed: 1 });
    });
  });
});
