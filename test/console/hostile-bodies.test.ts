import { createApp } from '@genledger/api/app';
import { noQueue } from '@genledger/api/no-queue';
import type { Logger } from '@genledger/core/ports/logger';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { httpDeps } from '@genledger/wiring/http-deps';
import { beforeAll, describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';

const dbs = useDatabases();

/**
 * Bodies no browser or client would send, against every route that reads one: each is the
 * sender's fault (4xx), never a 500, and nothing is written.
 */
const BASE = 'http://localhost';
let database: Database;
let app: ReturnType<typeof createApp>;
let adminKey: string;
const errors: unknown[] = [];
const quiet = () => {};
const logger: Logger = { debug: quiet, info: quiet, warn: quiet, error: (m, f) => errors.push([m, f]) };

beforeAll(async () => {
  database = await dbs.open('pglite', { schema: 'hostile_bodies' });
  adminKey = (
    await new ApiKeyStore(database, new EventStore(database)).create({ name: 'ops', isAdmin: true })
  ).key;
  app = createApp(httpDeps(database, { queue: noQueue, logger, cursorSecret: 'h'.repeat(40) }));
});

const bytes = (...b: number[]) => new Uint8Array(b);
/** [content type, body]: broken multipart, broken url-encoding, broken JSON, bytes that are not UTF-8. */
const HOSTILE: [string, string | Uint8Array<ArrayBuffer>][] = [
  ['multipart/form-data; boundary=zz', 'garbage'],
  ['multipart/form-data', 'garbage'],
  ['multipart/form-data; boundary=zz', '--zz\r\nContent-Disposition: form-data; name="key"\r\n\r\nabc'],
  ['multipart/form-data; boundary=', '--\r\n\r\n'],
  ['multipart/form-data; boundary=zz', bytes(0x2d, 0x2d, 0x7a, 0x7a, 0xff, 0xfe, 0x00)],
  ['application/x-www-form-urlencoded', '%'],
  ['application/x-www-form-urlencoded', 'key=%E0%A4%A&_csrf=%zz&a=%00'],
  ['application/x-www-form-urlencoded', bytes(0x6b, 0x3d, 0xff, 0xfe, 0xc0, 0x80)],
  ['application/x-www-form-urlencoded', '&&&==&=%%%'],
  ['application/json', '{"key":'],
  ['application/json', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[['],
  ['application/json', `${'['.repeat(20_000)}${']'.repeat(20_000)}`],
  ['application/json', '{"prompt":"\\ud800","name":"\\u0000","__proto__":{"isAdmin":true}}'],
  ['application/json', 'null'],
  ['text/plain', bytes(0xff, 0xfe, 0xfd)],
  ['application/octet-stream', bytes(0x00, 0x01, 0x02)],
];

const CONSOLE_FORMS = [
  '/console/signin',
  '/console/keys',
  '/console/keys/00000000-0000-4000-8000-000000000000/revoke',
  '/console/settings',
  '/console/failed/action',
  '/console/retry',
  // Last: it ends the session the others use.
  '/console/signout',
];
const API_BODIES: [string, string][] = [
  ['POST', '/generations'],
  ['POST', '/api-keys'],
  ['PUT', '/settings/retention.resolvedDays'],
  ['POST', '/failed-messages/retry'],
  ['POST', '/failed-messages/archive'],
  ['POST', '/failed-messages/unarchive'],
  ['POST', '/failed-messages/resolve'],
  ['POST', `/failure-groups/${'a'.repeat(64)}/retry`],
  ['POST', '/generations/00000000-0000-4000-8000-000000000000/cancel'],
];

async function signedIn() {
  const res = await app.request(`${BASE}/console/signin`, {
    method: 'POST',
    body: new URLSearchParams({ key: adminKey }),
    headers: { origin: BASE },
    redirect: 'manual',
  });
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const html = await (await app.request(`${BASE}/console/keys`, { headers: { cookie } })).text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  return { cookie, csrf };
}

const written = async () => ({
  keys: await database.db.$count(database.tables.apiKeys),
  events: await database.db.$count(database.tables.events),
  generations: await database.db.$count(database.tables.generations),
  settings: await database.db.$count(database.tables.settings),
});

describe('hostile bodies', () => {
  it('answers every console form with a 400 page for an unreadable form and never a 5xx, signed in or not, writing nothing', async () => {
    errors.length = 0;
    const session = await signedIn();
    const before = await written();
    const sessions: Record<string, string>[] = [
      {},
      { cookie: session.cookie },
      { cookie: session.cookie, 'x-csrf-token': session.csrf },
    ];
    for (const path of CONSOLE_FORMS) {
      for (const [type, body] of HOSTILE) {
        for (const headers of sessions) {
          const res = await app.request(`${BASE}${path}`, {
            method: 'POST',
            body,
            headers: { origin: BASE, 'content-type': type, ...headers },
            redirect: 'manual',
          });
          const what = `${path} ${type} ${String(body).slice(0, 40)} → ${res.status}`;
          expect(res.status, what).toBeLessThan(500);
          // A form that cannot be read at all is a 400 page once it is read: at sign-in, or signed in
          // (without a session the console refuses before reading; sign-out reads no form, and revoke
          // none beyond the CSRF token, so with the header it answers for its unknown key).
          const readsNone =
            path.endsWith('/signout') || (path.endsWith('/revoke') && 'x-csrf-token' in headers);
          const read = path === '/console/signin' || ('cookie' in headers && !readsNone);
          if (type.startsWith('multipart/') && read) expect(res.status, what).toBe(400);
          expect(res.headers.get('set-cookie') ?? '').not.toMatch(/gl_console=[^;]+\./);
        }
      }
    }
    expect(await written()).toEqual(before);
    expect(errors).toEqual([]);
  });

  it('answers every JSON route with a 4xx problem for any unreadable body, and writes nothing', async () => {
    errors.length = 0;
    const before = await written();
    for (const [method, path] of API_BODIES) {
      for (const [type, body] of HOSTILE) {
        const res = await app.request(`${BASE}${path}`, {
          method,
          body,
          headers: { authorization: `Bearer ${adminKey}`, 'content-type': type },
        });
        expect(res.status, `${method} ${path} ${type} ${String(body).slice(0, 40)}`).toBeGreaterThanOrEqual(
          400,
        );
        expect(res.status, `${method} ${path} ${type} ${String(body).slice(0, 40)}`).toBeLessThan(500);
        expect(res.headers.get('content-type')).toContain('application/problem+json');
      }
    }
    expect(await written()).toEqual(before);
    expect(errors).toEqual([]);
  });
});
