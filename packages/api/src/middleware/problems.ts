import { errorFields, stackFrames } from '@genledger/core/error-summary';
import { asAppError } from '@genledger/core/errors';
import type { Logger } from '@genledger/core/ports/logger';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import {
  EdgeProblemError,
  edgeProblem,
  PROBLEM_CONTENT_TYPE,
  type Problem,
  problemFromAppError,
} from '../problem.ts';
import type { CachedHealth } from '../schema-gate.ts';
import type { ApiEnv } from './env.ts';

/** The one way the app answers an error: problem+json naming the path and the request id. */
function problemResponse(c: Context<ApiEnv>, p: Problem, headers: Record<string, string> = {}) {
  const body: Problem = { ...p, instance: c.req.path, requestId: c.get('requestId') };
  return c.body(JSON.stringify(body), p.status as 400, { ...headers, 'Content-Type': PROBLEM_CONTENT_TYPE });
}

/**
 * Maps whatever a middleware or handler threw, once: AppError kinds to their status, edge
 * problems as they are, an unavailable database to 503 + Retry-After, anything else to a 500 that
 * logs the error's class and causes (never its message, which may quote statement parameters).
 */
export function problemOnError(options: {
  logger: Logger;
  health: CachedHealth;
  retryAfterSeconds: number;
  isUnavailable: (e: unknown) => boolean;
  isLockTimeout?: (e: unknown) => boolean;
}): ErrorHandler<ApiEnv> {
  const { logger: log, health } = options;
  return (thrown, c) => {
    if (thrown instanceof EdgeProblemError) return problemResponse(c, thrown.problem);
    const err = asAppError(thrown, options.isUnavailable, options.retryAfterSeconds);
    if (err && err !== thrown) {
      // The database is away (asAppError made the error): down, restarting, timing out, out of connections or a lock held too long: not the
      // client's fault and not a bug. The next health probe runs now rather than after its TTL,
      // unless one row's lock was held too long: a probe would find the database well, and every
      // request (the locked key's next one too) would wait for it first.
      if (!options.isLockTimeout?.(thrown)) health.invalidate();
      log.warn('database unavailable', { requestId: c.get('requestId'), ...errorFields(thrown) });
    }
    if (err) {
      const headers: Record<string, string> = {};
      if (err.retryAfterSeconds !== undefined) headers['Retry-After'] = String(err.retryAfterSeconds);
      if (err.kind === 'unauthorized') headers['WWW-Authenticate'] = 'Bearer realm="genledger"';
      if (err.kind === 'configuration')
        log.error('configuration error', { requestId: c.get('requestId'), error: err.message });
      return problemResponse(c, problemFromAppError(err), headers);
    }
    log.error('unhandled error', {
      requestId: c.get('requestId'),
      ...errorFields(thrown),
      stack: stackFrames(thrown),
    });
    return problemResponse(
      c,
      edgeProblem('internal', 'an unexpected error occurred; quote the request id when reporting it'),
    );
  };
}

export const problemNotFound: NotFoundHandler<ApiEnv> = (c) =>
  problemResponse(c, {
    type: 'https://genledger.dev/problems/not-found',
    title: 'Not found',
    status: 404,
    detail: `no route for ${c.req.method} ${c.req.path}`,
  });
