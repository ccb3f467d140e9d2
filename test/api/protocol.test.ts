import { routeChain } from '@genledger/api/app';
import { noQueue } from '@genledger/api/no-queue';
import type { Logger } from '@genledger/core/ports/logger';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { httpDeps } from '@genledger/wiring/http-deps';
import { Hono } from 'hono';
import { beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import type { ApiEnv } from '../../packages/api/src/middleware/env.ts';
import { problemOnError } from '../../packages/api/src/middleware/problems.ts';
import { requestId } from '../../packages/api/src/middleware/request-id.ts';
import { requestLog } from '../../packages/api/src/middleware/request-log.ts';
import { schemaGate } from '../../packages/api/src/middleware/schema-gate.ts';
import { type RouteSpec, route, routerPath } from '../../packages/api/src/routes/define.ts';
import { cachedHealth } from '../../packages/api/src/schema-gate.ts';
import { expectProblem } from '../support/api-client.ts';
import { useDatabases } from '../support/databases.ts';
import { HTTP_TARGETS, useHttpApi } from '../support/http-api.ts';

const dbs = useDatabases();

describe.each(HTTP_TARGETS)('HTTP API: health, document, ids, bodies on %s', (target) => {
  const http = useHttpApi(dbs, target);
  const { api, counts, newKey } = http;

  it('serves health and an OpenAPI 3.1 document of every route', async () => {
    const health = await api.get('/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe(target === 'pglite' ? 'Degraded' : 'Healthy');
    const doc = http.validator.doc;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/api-keys',
        '/api-keys/{id}',
        '/callbacks/{token}',
        '/events',
        '/failed-messages',
        '/failed-messages/{id}',
        '/failed-messages/archive',
        '/failed-messages/resolve',
        '/failed-messages/retry',
        '/failed-messages/unarchive',
        '/failure-groups',
        '/failure-groups/{id}/archive',
        '/failure-groups/{id}/retry',
        '/failure-groups/{id}/unarchive',
        '/generations',
        '/generations/{id}',
        '/generations/{id}/cancel',
        '/generations/{id}/events',
        '/generations/{id}/runs',
        '/health',
        '/openapi.json',
        '/retry-batches',
        '/settings',
        '/settings/{key}',
        '/webhook-deliveries/{id}/redeliver',
        '/webhook-endpoints',
        '/webhook-endpoints/{id}',
        '/webhook-endpoints/{id}/deliveries',
        '/webhook-endpoints/{id}/rotate-secret',
        '/webhook-endpoints/{id}/test',
        '/webhooks/default/secret',
      ].sort(),
    );
    expect(http.server.adminKey).toMatchObject({ created: true, usable: true });
    // A generation's outputs are signed links; the two path fields are deprecated for one release.
    const generation = JSON.parse(JSON.stringify(doc.paths['/generations/{id}'].get.responses['200']))
      .content['application/json'].schema;
    const schema = generation.$ref
      ? doc.components.schemas[String(generation.$ref).split('/').at(-1)!]
      : generation;
    expect(schema.properties.outputPath.deprecated).toBe(true);
    expect(schema.properties.thumbnailPath.deprecated).toBe(true);
    expect(Object.keys(schema.properties.outputs.items.properties).sort()).toEqual([
      'bytes',
      'contentType',
      'sha256',
      'url',
    ]);
  });

  it('answers unknown routes with a 404 problem and echoes a sane X-Request-Id', async () => {
    const r = await api.get('/nope');
    expectProblem(r, 404);
    const echoed = await api.get('/health', { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-abc.123');
    const replaced = await api.get('/health', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expectProblem(await api.call('PATCH', '/generations'), 404);
  });

  it('turns malformed, oversized, mistyped and wrongly typed bodies into 4xx problems and writes nothing', async () => {
    const k = await newKey({ rateLimit: 1000 });
    const before = await counts();
    expectProblem(
      await api.post('/generations', {
        key: k.key,
        raw: '{"prompt": ',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      ['body'],
    );
    expectProblem(
      await api.post('/generations', {
        key: k.key,
        raw: '[1,2]',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      ['body'],
    );
    expectProblem(
      await api.post('/generations', {
        key: k.key,
        raw: '"text"',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      ['body'],
    );
    expectProblem(
      await api.post('/generations', {
        key: k.key,
        raw: '',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      ['body'],
    );
    expectProblem(
      await api.post('/generations', {
        key: k.key,
        raw: '{"prompt":"x"}',
        headers: { 'content-type': 'text/plain' },
      }),
      415,
    );
    expectProblem(await api.post('/generations', { key: k.key, raw: '{"prompt":"x"}' }), 415);
    const big = JSON.stringify({ prompt: 'x', name: 'y'.repeat(70 * 1024) });
    expectProblem(
      await api.post('/generations', {
        key: k.key,
        raw: big,
        headers: { 'content-type': 'application/json' },
      }),
      413,
    );
    const invalid = await api.post('/generations', {
      key: k.key,
      body: {
        prompt: '',
        width: 10,
        steps: 1.5,
        guidance: 99,
        seed: 'x',
        extra: true,
        negativePrompt: 'n'.repeat(4001),
      },
    });
    expectProblem(invalid, 400, ['prompt', 'width', 'steps', 'guidance', 'seed', 'negativePrompt']);
    expectProblem(await api.post('/generations', { key: k.key, body: { prompt: 'p'.repeat(4001) } }), 400, [
      'prompt',
    ]);
    expect(await counts()).toEqual(before);
    // A body at the limit's edge is still read (and validated: prompt too long).
    const edge = JSON.stringify({ prompt: 'p'.repeat(60 * 1024) });
    expectProblem(
      await api.post('/generations', {
        key: k.key,
        raw: edge,
        headers: { 'content-type': 'application/json' },
      }),
      400,
    );
    expect(
      (
        await api.post('/generations', {
          key: k.key,
          raw: '{"prompt":"ok"}',
          headers: { 'content-type': 'application/json; charset=utf-8' },
        })
      ).status,
    ).toBe(202);
  });

  it('reads a chunked body (no Content-Length) up to the limit and refuses a larger one, writing nothing', async () => {
    const k = await newKey();
    const chunked = (text: string) =>
      fetch(`${http.server.url}/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${k.key}`, 'content-type': 'application/json' },
        body: new ReadableStream({
          start(controller) {
            const bytes = new TextEncoder().encode(text);
            for (let i = 0; i < bytes.length; i += 8192) controller.enqueue(bytes.subarray(i, i + 8192));
            controller.close();
          },
        }),
        duplex: 'half',
      } as RequestInit);
    const before = await counts();
    const big = await chunked(JSON.stringify({ prompt: 'x', name: 'y'.repeat(70 * 1024) }));
    expect(big.status).toBe(413);
    expect(big.headers.get('content-type')).toContain('application/problem+json');
    expect(await counts()).toEqual(before);
    // 16 KB of two-byte characters: chunk boundaries fall inside characters.
    const prompt = `a lighthouse, sent in chunks ${'é'.repeat(3900)}`;
    const ok = await chunked(JSON.stringify({ prompt, negativePrompt: 'ü'.repeat(4000) }));
    expect(ok.status).toBe(202);
    const created = (await ok.json()) as { prompt: string; negativePrompt: string };
    expect(created.prompt).toBe(prompt);
    expect(created.negativePrompt).toBe('ü'.repeat(4000));
  });

  it('validated every response against the OpenAPI document', () => {
    expect(http.validator.validated).toBeGreaterThan(10);
  });
});

// The middleware chain of a JSON route, assembled as the app does (`routeChain`), on test routes
// whose handlers the app's own routes cannot play: one that forgets the key check it was given.
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
    database = await dbs.open('postgres');
    const created = await new ApiKeyStore(database, new EventStore(database)).create({ name: 'chain' });
    key = created.key;
    keyId = created.summary!.id;
    const deps = httpDeps(database, { queue: noQueue, logger, cursorSecret: 'c'.repeat(40) });
    const health = cachedHealth(deps.health);
    app = new Hono<ApiEnv>();
    app.use('*', requestLog(logger), requestId());
    app.onError(problemOnError({ logger, health, retryAfterSeconds: 5, isUnavailable: deps.isUnavailable }));
    const gate = schemaGate(health, 5);
    for (const spec of [forgetful, careful] as RouteSpec[])
      app.on('POST', [routerPath(spec.path)], ...routeChain(spec, deps, gate));
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
