import { AppError } from '@genledger/core/errors';
import type { MiddlewareHandler } from 'hono';
import { type CachedHealth, gateReason } from '../schema-gate.ts';
import type { ApiEnv } from './env.ts';

/**
 * 503 + Retry-After while the database is unreachable or its schema is behind the code, judged
 * from the cached health probe (no round trip per request). Not on health or the document.
 */
export function schemaGate(health: CachedHealth, retryAfterSeconds: number): MiddlewareHandler<ApiEnv> {
  return async function schemaGate(_c, next) {
    const reason = gateReason(await health());
    if (reason) throw new AppError('unavailable', reason, { retryAfterSeconds });
    return next();
  };
}
