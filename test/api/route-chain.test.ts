// The middleware chain of a JSON route, assembled as the app does (`routeChain`), on test routes
// whose handlers the app's own routes cannot play: one that forgets the key check it was given.
import { routeChain } from '@genledger/api/app';
import { depsFromDatabase } from '@genledger/api/deps';
import type { ApiEnv } from '@genledger/api/middleware/env';
import { problemOnError } from '@genledger/api/middleware/problems';
import { requestId } from '@genledger/api/middleware/request-id';
import { requestLog } from '@genledger/api/middleware/request-log';
import { schemaGate } from '@genledger/api/middleware/schema-gate';
import { noQueue } from '@genledger/api/no-queue';
import { type RouteSpec, route, routerPath } from '@genledger/api/routes/define';
import { cachedHealth } from '@genledger/api/schema-gate';
import type { Logger } from '@genledger/core/ports/logger';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import { type Database, openDatabase } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { migrate } from '@genledger/db/migrator';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';

const lines: { message: string; fields: Record<string, unknown> | undefined }[] = [];
const logger: Logger = {
  debug: () => {},
  info: (message, fields) => lines.push({ message, fields }),
  warn: (message, fields) => lines.push({ message, fields }),
  error: (message, fields) => lines.push({ message, fields }),
};

const Body = z.strictObject({ n: z.number() });
const forgetful = route({
  method: 'post',
  path: '/forgetful',
  operationId: 'forgetful',
  summary: 'answers without judging the key it was handed',
  tag: 'test',
  access: 'key',
  keyInStatement: true,
  body: Body,
  responses: { 200: { description: 'ok' } },
  handler: async () => ({ status: 200, body: { answered: true } }),
});
const careful = route({
  ...forgetful,
  path: '/careful',
  operationId: 'careful',
  handler: async (ctx) => {
    const principal = await ctx.key!.authenticate();
    return { status: 200, body: { apiKeyId: principal.apiKeyId, n: ctx.body.n } };
  },
});

describe('a JSON route through its middleware chain', () => {
  let database: Database;
  let app: Hono<ApiEnv>;
  let key: string;
  let keyId: string;

  beforeAll(async () => {
    database = await openDatabase({ driver: 'pglite', dataDir: 'memory://', schema: 'route_chain' }, {});
    await migrate(database);
    const created = await new ApiKeyStore(database, new EventStore(database)).create({ name: 'chain' });
    key = created.key;
    keyId = created.summary!.id;
    const deps = depsFromDatabase(database, { queue: noQueue, logger, cursorSecret: 'c'.repeat(40) });
    const health = cachedHealth(deps.health);
    app = new Hono<ApiEnv>();
    app.use('*', requestLog(logger), requestId());
    app.onError(problemOnError({ logger, health, retryAfterSeconds: 5 }));
    const gate = schemaGate(health, 5);
    for (const spec of [forgetful, careful] as RouteSpec[])
      app.on('POST', [routerPath(spec.path)], ...routeChain(spec, deps, gate));
  });
  afterAll(async () => {
    await database?.close();
  });

  const post = (path: string, body: string, bearer = key) =>
    app.request(path, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
      body,
    });

  it('never answers for a handler that was handed the key check and did not judge it', async () => {
    lines.length = 0;
    const res = await post('/forgetful', '{"n":1}');
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.json()).toMatchObject({ status: 500, requestId: res.headers.get('x-request-id') });
    expect(lines.map((l) => l.message)).toEqual(['unhandled error', 'request']);
    expect(lines[1]!.fields).toMatchObject({ status: 500, route: '/forgetful', keyPrefix: null });
  });

  it('answers once the handler judged it, with the rate-limit headers and the key in the log line', async () => {
    lines.length = 0;
    const res = await post('/careful', '{"n":2}');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ apiKeyId: keyId, n: 2 });
    expect(res.headers.get('ratelimit-limit')).toBe('100');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.fields).toMatchObject({ status: 200, keyPrefix: key.slice(3, 11) });
  });

  it('checks the key before answering invalid inputs, even when the handler never runs', async () => {
    const invalid = await post('/forgetful', '{"n":"x"}');
    expect(invalid.status).toBe(400);
    expect(invalid.headers.get('ratelimit-limit')).toBe('100');
    const badKey = await post('/forgetful', '{"n":"x"}', 'gl_AAAAAAAA_not-a-real-key-not-a-real-key');
    expect(badKey.status).toBe(401);
  });
});
