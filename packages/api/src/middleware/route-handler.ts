import type { Owner } from '@genledger/core/ports/principal';
import type { Handler } from 'hono';
import type { AppDeps } from '../deps.ts';
import type { RouteSpec } from '../routes/define.ts';
import type { ApiEnv } from './env.ts';

/**
 * The end of a route's chain: calls `spec.handler` with what the middlewares established and
 * shapes its reply (JSON, or no body). Owner and metadata are those of the key as known when the
 * handler starts; on a route that checks its key in its own statement none is known yet, so such a
 * handler scopes its work by `key.gate`, never by `owner`.
 */
export function routeHandler(spec: RouteSpec, deps: AppDeps): Handler<ApiEnv> {
  return async function routeHandler(c) {
    const principal = c.get('principal');
    const key = c.get('key');
    const requestId = c.get('requestId');
    const owner: Owner =
      !principal || principal.isAdmin ? { admin: true } : { admin: false, apiKeyId: principal.apiKeyId };
    const reply = await spec.handler({
      deps,
      ...c.get('inputs'),
      principal,
      owner,
      key,
      requestId,
      metadata: { requestId, ...(principal ? { apiKeyId: principal.apiKeyId } : {}) },
    });
    // A handler that was given the key check must have judged it: never answer unauthenticated.
    if (key && !c.get('principal'))
      throw new Error(`${spec.operationId}: the handler never authenticated the key`);
    if (reply.body === undefined) return c.body(null, reply.status as 204, reply.headers);
    return c.json(reply.body, reply.status as 200, reply.headers);
  };
}
