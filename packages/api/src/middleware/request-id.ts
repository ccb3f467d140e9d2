import type { MiddlewareHandler } from 'hono';
import type { ApiEnv } from './env.ts';

const SANE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The request's id: the client's `X-Request-Id` when it is sane, else API Gateway's (in Lambda),
 * else a fresh UUID. Echoed as `X-Request-Id` and carried by every problem and log line.
 */
export function requestId(): MiddlewareHandler<ApiEnv> {
  // Not async: handing back next()'s promise saves the chain a frame on every request.
  return function requestId(c, next) {
    const incoming = c.req.header('x-request-id');
    const id = incoming && SANE.test(incoming) ? incoming : (c.env?.lambdaRequestId ?? crypto.randomUUID());
    c.set('requestId', id);
    // Set before the response exists: touching a finished response's headers makes
    // @hono/node-server build a full web Response (with a body stream) just to add one.
    c.header('X-Request-Id', id);
    return next();
  };
}
