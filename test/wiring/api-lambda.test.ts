import { gunzipSync } from 'node:zlib';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import { openDatabase } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { migrate } from '@genledger/db/migrator';
import { createApiHandler } from '@genledger/wiring/api';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { apiGatewayEvent } from '../support/apigw-event.ts';
import { uniqueSchema, useDatabases } from '../support/databases.ts';

const dbs = useDatabases();
const ADMIN_KEY = `lambda-admin-key-${'b'.repeat(40)}`;
const json = (r: APIGatewayProxyStructuredResultV2) => JSON.parse(r.body ?? 'null');
const gunzipOrPlain = (r: APIGatewayProxyStructuredResultV2) =>
  r.isBase64Encoded ? gunzipSync(Buffer.from(r.body!, 'base64')).toString('utf8') : r.body!;

describe.each(['pglite', 'postgres'] as const)('API Gateway v2 handler on %s', (target) => {
  async function setup() {
    const database = await dbs.open(target);
    await new ApiKeyStore(database, new EventStore(database)).ensureAdminKey(ADMIN_KEY);
    const lines: string[] = [];
    const handler = createApiHandler({
      env: { LOG_LEVEL: 'debug' },
      database: async () => database,
      logger: {
        debug: (m, f) => lines.push(JSON.stringify({ m, ...f })),
        info: (m, f) => lines.push(JSON.stringify({ m, ...f })),
        warn: (m, f) => lines.push(JSON.stringify({ m, ...f })),
        error: (m, f) => lines.push(JSON.stringify({ m, ...f })),
      },
    });
    return { database, handler, lines };
  }
  const auth = { authorization: `Bearer ${ADMIN_KEY}` };

  it('drives every kind of route through real event shapes', async () => {
    const { handler, lines } = await setup();
    const health = await handler(apiGatewayEvent('GET', '/health', { requestId: 'lambda-req-1' }));
    expect(health.statusCode).toBe(200);
    expect(health.headers?.['x-request-id']).toBe('lambda-req-1');

    const body = JSON.stringify({ prompt: 'from lambda', model: 'flux' });
    const created = await handler(
      apiGatewayEvent('POST', '/generations', {
        headers: { ...auth, 'content-type': 'application/json' },
        body,
      }),
    );
    expect(created.statusCode, created.body).toBe(202);
    const id = json(created).id;
    // Base64-encoded bodies (API Gateway does this for binary media types) are decoded.
    const b64 = await handler(
      apiGatewayEvent('POST', '/generations', {
        headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': 'k-1' },
        body: Buffer.from(JSON.stringify({ prompt: 'encoded' })).toString('base64'),
        base64: true,
      }),
    );
    expect(b64.statusCode, b64.body).toBe(202);
    expect(json(b64).prompt).toBe('encoded');

    const got = await handler(apiGatewayEvent('GET', `/generations/${id}`, { headers: auth }));
    expect(json(got)).toMatchObject({ id, model: 'flux' });
    const list = await handler(
      apiGatewayEvent('GET', '/generations?status=pending&status=running&model=flux&limit=5', {
        headers: auth,
      }),
    );
    expect(json(list).items.map((g: { id: string }) => g.id)).toEqual([id]);
    const runs = await handler(apiGatewayEvent('GET', `/generations/${id}/runs`, { headers: auth }));
    expect(json(runs)).toEqual({ items: [] });
    const events = await handler(apiGatewayEvent('GET', `/generations/${id}/events`, { headers: auth }));
    expect(json(events).items).toHaveLength(1);
    const cancel = await handler(apiGatewayEvent('POST', `/generations/${id}/cancel`, { headers: auth }));
    expect(json(cancel).status).toBe('cancelled');
    const feed = await handler(apiGatewayEvent('GET', '/events?after=0&limit=50', { headers: auth }));
    expect(feed.statusCode).toBe(200);
    const key = await handler(
      apiGatewayEvent('POST', '/api-keys', {
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{"name":"k"}',
      }),
    );
    expect(key.statusCode).toBe(201);
    const keys = await handler(apiGatewayEvent('GET', '/api-keys', { headers: auth }));
    expect(json(keys).items.length).toBe(2);
    const revoke = await handler(apiGatewayEvent('DELETE', `/api-keys/${json(key).id}`, { headers: auth }));
    expect(revoke.statusCode).toBe(200);
    const settings = await handler(apiGatewayEvent('GET', '/settings', { headers: auth }));
    expect(settings.statusCode).toBe(200);
    const put = await handler(
      apiGatewayEvent('PUT', '/settings/retention.failedMessageDays', {
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{"value":7}',
      }),
    );
    expect(json(put)).toMatchObject({ value: 7 });
    const doc = await handler(apiGatewayEvent('GET', '/openapi.json'));
    expect(json(doc).openapi).toBe('3.1.0');

    // One structured line per request, never a key or a body.
    const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.m === 'request');
    expect(requests.length).toBeGreaterThanOrEqual(14);
    expect(requests[0]).toMatchObject({
      method: 'GET',
      route: '/health',
      status: 200,
      requestId: 'lambda-req-1',
    });
    expect(requests.find((r) => r.method === 'POST')).toMatchObject({
      route: '/generations',
      keyPrefix: expect.stringMatching(/^h[0-9a-f]{7}$/),
    });
    const all = lines.join('\n');
    expect(all).not.toContain(ADMIN_KEY);
    expect(all).not.toContain('from lambda');
  });

  it('compresses text as Accept-Encoding asks, and carries the encoded body base64', async () => {
    const { handler } = await setup();
    const gzip = { 'accept-encoding': 'gzip, deflate, br' };
    const spec = await handler(apiGatewayEvent('GET', '/openapi.json', { headers: gzip }));
    expect(spec.headers?.['content-encoding']).toBe('gzip');
    expect(spec.headers?.vary).toMatch(/accept-encoding/i);
    expect(spec.isBase64Encoded).toBe(true);
    const unzipped = gunzipSync(Buffer.from(spec.body!, 'base64'));
    expect(JSON.parse(unzipped.toString('utf8')).openapi).toMatch(/^3\.1/);
    const plain = await handler(apiGatewayEvent('GET', '/openapi.json'));
    expect(plain.headers?.['content-encoding']).toBeUndefined();
    expect(plain.isBase64Encoded).toBe(false);
    expect(Buffer.byteLength(spec.body!, 'base64')).toBeLessThan(Buffer.byteLength(plain.body!) / 3);
    // The console's htmx, as a browser receives it behind API Gateway.
    const signin = await handler(apiGatewayEvent('GET', '/console/signin', { headers: gzip }));
    const page = gunzipOrPlain(signin);
    const htmxPath = /<script src="([^"]*htmx[^"]*)"/.exec(page)![1]!;
    const htmx = await handler(apiGatewayEvent('GET', htmxPath, { headers: gzip }));
    expect(htmx.headers?.['content-encoding']).toBe('gzip');
    expect(Buffer.byteLength(htmx.body!, 'base64')).toBeLessThan(20 * 1024);
  });

  it('answers errors as problem+json with the Lambda request id', async () => {
    const { handler, lines } = await setup();
    const missing = await handler(apiGatewayEvent('GET', '/generations', { requestId: 'lambda-req-401' }));
    expect(missing.statusCode).toBe(401);
    expect(missing.headers?.['content-type']).toBe('application/problem+json');
    expect(json(missing)).toMatchObject({ status: 401, requestId: 'lambda-req-401' });
    const notFound = await handler(apiGatewayEvent('GET', '/does/not/exist'));
    expect(notFound.statusCode).toBe(404);
    const bad = await handler(
      apiGatewayEvent('POST', '/generations', {
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{bad',
      }),
    );
    expect(bad.statusCode).toBe(400);
    const big = await handler(
      apiGatewayEvent('POST', '/generations', {
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'x'.repeat(70_000) }),
      }),
    );
    expect(big.statusCode).toBe(413);
    expect(lines.some((l) => l.includes('"status":413'))).toBe(true);
  });
});

describe('the exported handler (module scope, configured from the environment)', () => {
  it('opens the database lazily once, and answers 503 problem+json when start-up fails', async () => {
    const schema = uniqueSchema('lambda');
    const url = dbs.server().url;
    const database = await openDatabase({ url, schema }, {});
    await migrate(database);
    await new ApiKeyStore(database, new EventStore(database)).ensureAdminKey(ADMIN_KEY);
    await database.close();

    const broken = createApiHandler({
      env: { LOG_LEVEL: 'nope' },
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    const failed = await broken(apiGatewayEvent('GET', '/health', { requestId: 'r-503' }));
    expect(failed.statusCode).toBe(503);
    expect(JSON.parse(failed.body!)).toMatchObject({ status: 503, requestId: 'r-503' });
    expect(failed.body).not.toContain('LOG_LEVEL');

    const saved = { ...process.env };
    Object.assign(process.env, {
      DATABASE_URL: url,
      DB_SCHEMA: schema,
      LOG_LEVEL: 'silent',
      DB_POOL_MAX: '2',
    });
    try {
      const { handler } = await import('../../functions/api.ts');
      const first = await handler(apiGatewayEvent('GET', '/generations', { headers: auth() }));
      const second = await handler(apiGatewayEvent('GET', '/health'));
      expect(first.statusCode, first.body).toBe(200);
      expect(second.statusCode).toBe(200);
      expect(JSON.parse(second.body!).checks.database.detail).toContain('reachable');
    } finally {
      process.env = saved;
    }
  });
});

function auth() {
  return { authorization: `Bearer ${ADMIN_KEY}` };
}
