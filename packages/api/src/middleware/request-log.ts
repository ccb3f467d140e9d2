import type { Logger } from '@genledger/core/ports/logger';
import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from './env.ts';

/**
 * One log line per request, after it is answered: route, status, duration, request id and the
 * key's public prefix. Never the key, a body or a query string. 5xx at error level.
 */
export function requestLog(log: Logger): MiddlewareHandler<ApiEnv> {
  return async function requestLog(c, next) {
    const started = performance.now();
    await next();
    const status = c.res.status;
    const fields = {
      method: c.req.method,
      route: c.req.routePath,
      path: c.req.path,
      status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      requestId: c.get('requestId'),
      keyPrefix: c.get('principal')?.prefix ?? null,
    };
    if (status >= 500) log.error('request', fields);
    else log.info('request', fields);
  };
}
