import { request } from 'node:http';
import { noQueue } from '@genledger/api/no-queue';
import { MAX_IDEMPOTENCY_KEY_LENGTH } from '@genledger/core/contracts/limits';
import { GenerationRequestedMessage } from '@genledger/core/contracts/queue-message';
import type { Database } from '@genledger/db/connect';
import { type LocalServer, startLocalServer } from '@genledger/local/server';
import { createApiHandler } from '@genledger/wiring/api';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiGatewayEvent } from '../support/apigw-event.ts';
import { useDatabases } from '../support/databases.ts';
import { HTTP_TARGETS } from '../support/http-api.ts';

/**
 * The Idempotency-Key header as text, the same on both paths: raw UTF-8 bytes over real HTTP to
 * the local server (Node's parser hands them over as Latin-1), and API Gateway's UTF-8 text through
 * the Lambda handler. docs/http.md#idempotency-key says what is accepted.
 */
const dbs = useDatabases();
const ADMIN_KEY = `idempotency-text-admin-${'k'.repeat(40)}`;
const silent = { debug() {}, info() {}, warn() {}, error() {} };

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: any;
}

/** What a client's UTF-8 bytes look like as a header string Node's client sends byte for byte. */
const asBytes = (bytes: Buffer) => bytes.toString('latin1');
const utf8Bytes = (text: string) => asBytes(Buffer.from(text, 'utf8'));

describe.each(HTTP_TARGETS)('Idempotency-Key as UTF-8 text on %s', (target) => {
  let database: Database;
  let server: LocalServer;
  let lambda: ReturnType<typeof createApiHandler>;

  beforeAll(async () => {
    database = await dbs.open(target);
    server = await startLocalServer({
      database,
      port: 0,
      queue: noQueue,
      env: { LOG_LEVEL: 'silent', ADMIN_API_KEY: ADMIN_KEY, CURSOR_SECRET: 'c'.repeat(40) },
    });
    lambda = createApiHandler({
      env: { LOG_LEVEL: 'silent' },
      database: async () => database,
      queue: () => noQueue,
      logger: silent,
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  /** POST /generations over real HTTP; `key` is the header as bytes (a Latin-1 string). */
  const overHttp = (key: string, body: object): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = request(
        `${server.url}/generations`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${ADMIN_KEY}`,
            'content-type': 'application/json',
            'idempotency-key': key,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode!,
              headers: res.headers,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            }),
          );
        },
      );
      req.on('error', reject);
      // A Buffer, not a string: Node's client joins a string body to the head and writes both as
      // UTF-8, which would encode the header's Latin-1 string a second time.
      req.end(Buffer.from(JSON.stringify(body)));
    });

  /** The same through the Lambda handler; `key` is the header as API Gateway gives it: text. */
  const throughLambda = async (key: string, body: object): Promise<Answer> => {
    const r = await lambda(
      apiGatewayEvent('POST', '/generations', {
        headers: {
          authorization: `Bearer ${ADMIN_KEY}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify(body),
      }),
    );
    return { status: r.statusCode!, headers: r.headers ?? {}, body: JSON.parse(r.body ?? 'null') };
  };

  const storedKey = async (id: string) => {
    const g = database.tables.generations;
    const [row] = await database.db.select({ key: g.idempotencyKey }).from(g).where(eq(g.id, id));
    return row?.key;
  };
  const generationCount = () => database.db.$count(database.tables.generations);

  it.each([
    ['emoji and CJK', '灯台🌅'],
    ['a combining mark, kept as sent (not normalised)', 'cafe\u0301-e\u0301'],
    ['a U+FEFF inside, which is text here, not a byte-order mark', 'order-\uFEFF42'],
    ['Latin-1 letters written as UTF-8', 'Grüße-€'],
    ['printable ASCII', 'order-"42"\\'],
  ])('%s: read back unchanged, stored once, the same key on both paths', async (_, key) => {
    const body = { prompt: `key ${key}`, seed: 7 };
    const first = await overHttp(utf8Bytes(key), body);
    expect(first.status, JSON.stringify(first.body)).toBe(202);
    expect(first.body.idempotencyKey).toBe(key);
    expect(await storedKey(first.body.id)).toBe(key);

    // The same key through API Gateway: the same generation, not a second one.
    const again = await throughLambda(key, body);
    expect(again.status, JSON.stringify(again.body)).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toMatchObject({ id: first.body.id, idempotencyKey: key });

    // And the other way round: a fresh key sent to Lambda first, then over HTTP.
    const other = `${key}/lambda-first`;
    const viaLambda = await throughLambda(other, body);
    expect(viaLambda.status).toBe(202);
    expect(await storedKey(viaLambda.body.id)).toBe(other);
    const viaHttp = await overHttp(utf8Bytes(other), body);
    expect(viaHttp.headers['idempotent-replayed']).toBe('true');
    expect(viaHttp.body.id).toBe(viaLambda.body.id);

    // The event and a queue producer's message carry the very same text.
    const events = await lambda(
      apiGatewayEvent('GET', `/generations/${first.body.id}/events`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      }),
    );
    expect(JSON.parse(events.body!).items[0].event.idempotencyKey).toBe(key);
    const message = GenerationRequestedMessage.parse(
      JSON.parse(
        JSON.stringify({
          type: 'generation.requested',
          version: 1,
          generationId: first.body.id,
          request: body,
          idempotencyKey: key,
        }),
      ),
    );
    expect(message.idempotencyKey).toBe(await storedKey(first.body.id));
  });

  it('a leading U+FEFF is stored as sent, and is the same key on both paths', async () => {
    const key = '\uFEFFbom-first';
    const first = await overHttp(utf8Bytes(key), { prompt: 'bom' });
    expect(first.status).toBe(202);
    const g = database.tables.generations;
    const [row] = await database.db
      .select({ hex: sql<string>`encode(convert_to(${g.idempotencyKey}, 'UTF8'), 'hex')` })
      .from(g)
      .where(eq(g.id, first.body.id));
    expect(row?.hex).toBe(Buffer.from(key, 'utf8').toString('hex'));
    const again = await throughLambda(key, { prompt: 'bom' });
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers['idempotent-replayed']).toBe('true');
  });

  // PGlite's wire reader decodes text with a default TextDecoder, which drops a leading U+FEFF as
  // a byte-order mark: the key is stored whole, but reads back without it. Real Postgres drivers
  // keep it. When this starts failing on PGlite, the upstream reader was fixed: drop `.fails`.
  (target === 'pglite' ? it.fails : it)('a leading U+FEFF is read back as sent', async () => {
    const key = '\uFEFFbom-echo';
    const answer = await overHttp(utf8Bytes(key), { prompt: 'bom echo' });
    expect(answer.body.idempotencyKey).toBe(key);
  });

  it('the same key with another body is a 409 whichever path sent the first', async () => {
    const key = '灯台🌅-conflict';
    expect((await overHttp(utf8Bytes(key), { prompt: 'one' })).status).toBe(202);
    const conflict = await throughLambda(key, { prompt: 'two' });
    expect(conflict.status).toBe(409);
  });

  it.each([
    ["a lone surrogate's bytes (ED A0 80)", Buffer.from([0x6b, 0xed, 0xa0, 0x80])],
    ['an overlong "/" (C0 AF)', Buffer.from([0x6b, 0xc0, 0xaf])],
    ['a Latin-1 é (E9), not UTF-8', Buffer.from([0x63, 0x61, 0x66, 0xe9])],
    ['a truncated sequence (E7 81)', Buffer.from([0xe7, 0x81])],
    ['U+FFFD, what a hop puts for bytes it could not read', Buffer.from('k\uFFFD', 'utf8')],
  ])('%s over HTTP: 400 naming the header, nothing written', async (_, bytes) => {
    const before = await generationCount();
    const answer = await overHttp(asBytes(bytes), { prompt: 'refused' });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([
      { field: 'Idempotency-Key', message: expect.stringContaining('UTF-8') },
    ]);
    expect(await generationCount()).toBe(before);
  });

  it.each([
    ['U+FFFD (what API Gateway may put for bytes it could not read)', 'k\uFFFD'],
    ['an unpaired surrogate in the event (it reaches the app as U+FFFD)', 'k\uD800'],
  ])('%s through Lambda: the same 400, nothing written', async (_, key) => {
    const before = await generationCount();
    const answer = await throughLambda(key, { prompt: 'refused' });
    expect(answer.status).toBe(400);
    expect(answer.body.errors).toEqual([
      { field: 'Idempotency-Key', message: expect.stringContaining('UTF-8') },
    ]);
    expect(await generationCount()).toBe(before);
  });

  it('counts the length in characters: 255 emoji pass on both paths and in a queue message, 256 do not', async () => {
    const max = '🌅'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH - 1);
    const atLimitHttp = `${max}h`;
    const atLimitLambda = `${max}l`;
    const over = `${max}🌅🌅`;

    const viaHttp = await overHttp(utf8Bytes(atLimitHttp), { prompt: 'long key' });
    expect(viaHttp.status, JSON.stringify(viaHttp.body)).toBe(202);
    expect(await storedKey(viaHttp.body.id)).toBe(atLimitHttp);
    const viaLambda = await throughLambda(atLimitLambda, { prompt: 'long key' });
    expect(viaLambda.status, JSON.stringify(viaLambda.body)).toBe(202);
    expect(await storedKey(viaLambda.body.id)).toBe(atLimitLambda);

    const before = await generationCount();
    for (const answer of [
      await overHttp(utf8Bytes(over), { prompt: 'too long' }),
      await throughLambda(over, { prompt: 'too long' }),
      await throughLambda('a'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH + 1), { prompt: 'too long' }),
    ]) {
      expect(answer.status).toBe(400);
      expect(answer.body.errors).toEqual([
        { field: 'Idempotency-Key', message: `must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters` },
      ]);
    }
    expect(await generationCount()).toBe(before);

    const message = (idempotencyKey: string) =>
      GenerationRequestedMessage.safeParse({
        type: 'generation.requested',
        version: 1,
        generationId: crypto.randomUUID(),
        request: { prompt: 'queued' },
        idempotencyKey,
      }).success;
    expect(message(atLimitHttp)).toBe(true);
    expect(message(over)).toBe(false);
  });
});
