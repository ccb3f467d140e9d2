/** @jsxImportSource hono/jsx */
import { errorFields, stackFrames } from '@genledger/core/error-summary';
import { asAppError, HTTP_STATUS, RETRY_AFTER_SECONDS } from '@genledger/core/errors';
import type { Logger } from '@genledger/core/ports/logger';
import type { Context, ErrorHandler, NotFoundHandler } from 'hono';
import { Flash } from '../ui/flash.tsx';
import { render } from '../ui/render.tsx';

/**
 * Errors as the JSON API classifies them (core's asAppError and HTTP_STATUS), answered as a page:
 * a database that is away is a 503 to retry after RETRY_AFTER_SECONDS, and a driver error is
 * logged by class, code and cause, never by its message (which quotes the parameters).
 */
export function errorPage(deps: { isUnavailable(e: unknown): boolean; logger: Logger }): ErrorHandler {
  return async (err, c) => {
    const known = asAppError(err, deps.isUnavailable, RETRY_AFTER_SECONDS);
    if (known && known !== err) deps.logger.warn('database unavailable', errorFields(err));
    else if (!known) deps.logger.error('console error', { ...errorFields(err), stack: stackFrames(err) });
    if (known?.retryAfterSeconds !== undefined) c.header('Retry-After', String(known.retryAfterSeconds));
    const message = known && known.kind !== 'configuration' ? known.message : 'an unexpected error occurred';
    return render(c, 'Error', <Flash kind="error">{message}</Flash>, {
      status: known ? HTTP_STATUS[known.kind] : 500,
    });
  };
}

export const notFoundPage: NotFoundHandler = (c: Context) =>
  render(c, 'Not found', <Flash kind="error">Nothing here: {c.req.path}</Flash>, { status: 404 });
