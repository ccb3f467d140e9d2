// The console's HTML-level tests (console-html-*.test.ts): the app in process over PGlite, an admin
// and a client key, a logger that keeps its lines, and requests as a browser's forms send them.
import { createApp } from '@genledger/api/app';
import { noQueue } from '@genledger/api/no-queue';
import type { Logger } from '@genledger/core/ports/logger';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { httpDeps } from '@genledger/wiring/http-deps';
import { beforeAll, expect } from 'vitest';
import { useDatabases } from './databases.ts';

export const CURSOR_SECRET = 'k'.repeat(40);
export const BASE = 'http://localhost';

interface ConsoleHtml {
  database: Database;
  app: ReturnType<typeof createApp>;
  adminKey: string;
  clientKey: string;
  clientKeyId: string;
  /** Every line the app logged, as JSON of [message, fields]. */
  logLines: string[];
}

/** Registers the file's app (built before its tests) and returns it with form-level requests. */
export function useConsoleHtml(schema: string) {
  const dbs = useDatabases();
  const logLines: string[] = [];
  const line =
    (print = false): Logger['info'] =>
    (m, f) => {
      logLines.push(JSON.stringify([m, f]));
      if (print && process.env.DEBUG_CONSOLE) console.error(m, f);
    };
  const logger: Logger = { debug: line(), info: line(), warn: line(), error: line(true) };
  const h = { logLines } as ConsoleHtml;
  beforeAll(async () => {
    h.database = await dbs.open('pglite', { schema });
    const keys = new ApiKeyStore(h.database, new EventStore(h.database));
    h.adminKey = (await keys.create({ name: 'ops admin', isAdmin: true })).key;
    const client = await keys.create({ name: 'frontend', isAdmin: false });
    h.clientKey = client.key;
    h.clientKeyId = client.summary!.id;
    h.app = createApp(httpDeps(h.database, { queue: noQueue, logger, cursorSecret: CURSOR_SECRET }));
  });

  const req = (path: string, init: RequestInit & { cookie?: string } = {}) => {
    const headers = new Headers(init.headers);
    if (init.cookie) headers.set('cookie', init.cookie);
    return h.app.request(path.startsWith('http') ? path : `${BASE}${path}`, {
      ...init,
      headers,
      redirect: 'manual',
    });
  };

  const signIn = async (key: string, base = BASE) => {
    const res = await req(`${base}/console/signin`, {
      method: 'POST',
      body: new URLSearchParams({ key }),
      headers: { origin: base },
    });
    expect(res.status).toBe(303);
    const setCookie = res.headers.get('set-cookie')!;
    return { res, setCookie, cookie: setCookie.split(';')[0]! };
  };

  /** The CSRF token of a session, read from a page's form. */
  const csrfOf = async (cookie: string) => {
    const html = await (await req('/console/generations', { cookie })).text();
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    expect(token).toBeDefined();
    return token!;
  };

  const post = (
    path: string,
    cookie: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ) =>
    req(path, {
      method: 'POST',
      cookie,
      body: new URLSearchParams(fields),
      headers: { origin: BASE, ...headers },
    });

  /**
   * Follows a post/redirect/get as a browser would: the redirect's one-time flash cookie goes with
   * the GET of its location. Returns the page and the flash's text.
   */
  const follow = async (res: Response, cookie: string) => {
    expect(res.status).toBe(303);
    const flash = /gl_flash=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
    const page = await req(res.headers.get('location')!, {
      cookie: flash ? `${cookie}; gl_flash=${flash}` : cookie,
    });
    const html = await page.text();
    const text = /data-testid="flash-text">([^<]*)</.exec(html)?.[1];
    return {
      page,
      html,
      flash: text?.replaceAll('&quot;', '"').replaceAll('&#39;', "'"),
      location: res.headers.get('location')!,
    };
  };

  return { h, req, signIn, csrfOf, post, follow };
}
