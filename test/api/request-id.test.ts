import { jsonLogger } from '@genledger/adapters/json-logger';
import { createApp } from '@genledger/api/app';
import { noQueue } from '@genledger/api/no-queue';
import { createApiHandler } from '@genledger/wiring/api';
import { httpDeps } from '@genledger/wiring/http-deps';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiGatewayEvent } from '../support/apigw-event.ts';
import { useDatabases } from '../support/databases.ts';

/**
 * A client's X-Request-Id is echoed in the response header, every problem and the request's log
 * line only when it is sane (docs/http.md#conventions); anything else is replaced, so a hostile one
 * can neither break the header (a non-ByteString would make `Headers.set` throw), nor the JSON log
 * line, nor add fields to it. Driven through `app.fetch` (what the local server runs) and through
 * the Lambda handler with API Gateway events, where the header arrives as UTF-8 text.
 */
const dbs = useDatabases();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const LOG_FIELDS = [
  'durationMs',
  'keyPrefix',
  'level',
  'method',
  'msg',
  'path',
  'requestId',
  'route',
  'status',
  'time',
];

const SANE = ['abc-123_X.y:z', 'r'.repeat(128), '0f8fad5b-d9cb-469f-a165-70867728950e'];
const HOSTILE: [string, string][] = [
  ['129 characters', 'r'.repeat(129)],
  ['a control character', 'a\u0001b'],
  ['a tab', 'a\tb'],
  ['an escape sequence', '\u001b[31mred'],
  ['a quote and a backslash', 'a"b\\c'],
  ['a forged log field', 'x","level":"error","msg":"forged'],
  ['a space', 'a b'],
  ['CJK text', '灯台'],
  ['a lone surrogate', 'a\uD800'],
];

describe('X-Request-Id', () => {
  const lines: string[] = [];
  const logger = jsonLogger('info', {}, (l) => lines.push(l));
  let app: ReturnType<typeof createApp>;
  let lambda: ReturnType<typeof createApiHandler>;

  beforeAll(async () => {
    const database = await dbs.open('pglite');
    app = createApp(httpDeps(database, { queue: noQueue, logger, cursorSecret: 'c'.repeat(40) }));
    lambda = createApiHandler({ env: { LOG_LEVEL: 'info' }, database: async () => database, logger });
  });

  /** The request's one log line, parsed: a JSON object with exactly the request fields. */
  const logLine = () => {
    const requests = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
    expect(requests).toHaveLength(1);
    const line = requests[0];
    expect(Object.keys(line).sort()).toEqual(LOG_FIELDS);
    expect(line).toMatchObject({ level: 'info', msg: 'request', status: 401 });
    return line;
  };

  /** Over `app.fetch`: the header as a Node server hands it over, its UTF-8 bytes read as Latin-1. */
  async function viaFetch(sent: string) {
    lines.length = 0;
    const res = await app.fetch(
      new Request('http://localhost/generations', {
        headers: { 'x-request-id': Buffer.from(sent, 'utf8').toString('latin1') },
      }),
    );
    expect(res.status).toBe(401);
    const header = res.headers.get('x-request-id');
    const body = (await res.json()) as { requestId: string };
    expect(body.requestId).toBe(header);
    expect(logLine().requestId).toBe(header);
    return header;
  }

  /** Through the Lambda handler: the header as API Gateway gives it, UTF-8 text. */
  async function viaLambda(sent: string) {
    lines.length = 0;
    const r = await lambda(
      apiGatewayEvent('GET', '/generations', { headers: { 'x-request-id': sent }, requestId: 'apigw-Ab3=' }),
    );
    expect(r.statusCode).toBe(401);
    const header = r.headers?.['x-request-id'];
    expect(JSON.parse(r.body!).requestId).toBe(header);
    expect(logLine().requestId).toBe(header);
    return header;
  }

  it.each(SANE)('echoes a sane one (%s) on both paths', async (id) => {
    expect(await viaFetch(id)).toBe(id);
    expect(await viaLambda(id)).toBe(id);
  });

  it.each(HOSTILE)(
    'replaces %s: a fresh UUID locally, the API Gateway request id in Lambda',
    async (_, id) => {
      expect(await viaFetch(id)).toMatch(UUID);
      expect(await viaLambda(id)).toBe('apigw-Ab3=');
    },
  );
});
