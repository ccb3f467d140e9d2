import { noQueue } from '@genledger/api/no-queue';
import type { Database } from '@genledger/db/connect';
import { type LocalServer, startLocalServer } from '@genledger/local/server';
import { afterAll, beforeAll, expect } from 'vitest';
import { ApiClient, type CallOptions, OpenApiValidator } from './api-client.ts';
import type { useDatabases } from './databases.ts';

export const ADMIN_KEY = `admin-key-for-tests-${'a'.repeat(40)}`;
/** The HTTP API suites run on both: the embedded database `npm start` uses, and a real server. */
export const HTTP_TARGETS = ['pglite', 'postgres'] as const;

/**
 * The HTTP API over real HTTP for one describe block: a migrated database of `target`, the local
 * server on a free port (no queue: accepted work stays where the tests can look at it), and a
 * client that validates every response against the OpenAPI document the server serves. The
 * functions are usable at once in a test; `database`, `server` and `validator` once beforeAll ran.
 */
export function useHttpApi(dbs: ReturnType<typeof useDatabases>, target: (typeof HTTP_TARGETS)[number]) {
  let state:
    | { database: Database; server: LocalServer; api: ApiClient; validator: OpenApiValidator }
    | undefined;
  const ready = () => {
    if (!state) throw new Error('useHttpApi: used before its beforeAll ran');
    return state;
  };

  beforeAll(async () => {
    const database = await dbs.open(target);
    const server = await startLocalServer({
      database,
      port: 0,
      // These tests look at accepted work before any worker touches it.
      queue: noQueue,
      env: { LOG_LEVEL: 'silent', ADMIN_API_KEY: ADMIN_KEY, CURSOR_SECRET: 'c'.repeat(40) },
    });
    state = { database, server, api: undefined!, validator: undefined! };
    const doc = await (await fetch(`${server.url}/openapi.json`)).json();
    state.validator = new OpenApiValidator(doc);
    state.api = new ApiClient(server.url, state.validator);
  });
  afterAll(async () => {
    await state?.server.close();
  });

  const api = {
    call: (method: string, path: string, options?: CallOptions) => ready().api.call(method, path, options),
    get: (path: string, options?: CallOptions) => ready().api.get(path, options),
    post: (path: string, options?: CallOptions) => ready().api.post(path, options),
    put: (path: string, options?: CallOptions) => ready().api.put(path, options),
    delete: (path: string, options?: CallOptions) => ready().api.delete(path, options),
  };

  const counts = async () => {
    const { database } = ready();
    return {
      generations: await database.db.$count(database.tables.generations),
      events: await database.db.$count(database.tables.events),
      keys: await database.db.$count(database.tables.apiKeys),
    };
  };

  async function newKey(body: Record<string, unknown> = {}) {
    const res = await api.post('/api-keys', { key: ADMIN_KEY, body: { name: 'client', ...body } });
    expect(res.status, res.text).toBe(201);
    return res.body as { id: string; key: string; prefix: string };
  }

  return {
    api,
    counts,
    newKey,
    get database() {
      return ready().database;
    },
    get server() {
      return ready().server;
    },
    get validator() {
      return ready().validator;
    },
  };
}
