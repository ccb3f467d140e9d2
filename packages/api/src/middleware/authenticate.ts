import { AppError } from '@genledger/core/errors';
import type { KeyCheck } from '@genledger/core/ports/api-keys';
import type { Principal } from '@genledger/core/ports/principal';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppDeps } from '../deps.ts';
import type { ApiEnv } from './env.ts';
import type { KeyLanes } from './key-lanes.ts';

/** The key of `Authorization: Bearer <key>`, or undefined for any other or no header. */
function bearerKey(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m?.[1];
}

/**
 * Takes an authenticated key for the request: sets the RateLimit-* headers, then refuses with 429
 * over the limit and 403 when the route needs an admin key and this one is not.
 */
function accept(c: Context<ApiEnv>, p: Principal, adminOnly: boolean): void {
  c.set('principal', p);
  const r = p.rate;
  c.header('RateLimit-Limit', String(r.limit));
  c.header('RateLimit-Remaining', String(r.remaining));
  c.header('RateLimit-Reset', String(r.resetSeconds));
  c.header('RateLimit-Policy', `${r.limit};w=60`);
  if (r.limited) {
    throw new AppError('rate-limited', `rate limit of ${r.limit} requests per minute reached`, {
      retryAfterSeconds: r.resetSeconds,
    });
  }
  if (adminOnly && !p.isAdmin) throw new AppError('forbidden', 'this route needs an admin API key');
}

/**
 * The bearer key of a route that needs one: 401 without it. By default the key is checked here
 * (its own round trip, which also counts the request against the rate limit). With `inStatement`,
 * the check is handed to the route as `key` and runs inside the route's own statement, one round
 * trip in all; `validateInputs` still checks it first when the inputs are invalid, and the route
 * adapter refuses to answer if the handler never did.
 */
export function authenticate(
  apiKeys: AppDeps['apiKeys'],
  options: {
    admin: boolean;
    inStatement?: boolean;
    lanes?: KeyLanes;
    isUnavailable?: AppDeps['isUnavailable'];
  },
): MiddlewareHandler<ApiEnv> {
  const { lanes, isUnavailable = () => false } = options;
  const keyed = keyedBy(apiKeys, options);
  // The key is hashed once per request: its lane and its check (in the route's statement or its
  // own) take the same hash.
  const keyCheck = (c: Context<ApiEnv>) => {
    const token = bearerKey(c.req.header('authorization'));
    if (!token) throw new AppError('unauthorized', 'an API key is required: Authorization: Bearer <key>');
    return apiKeys.check(token);
  };
  if (!lanes) return (c, next) => keyed(c, next, keyCheck(c), () => {});
  // The key's check runs in the key's lane, and the route's work until it has checked the key; a
  // 503 means the database gave up.
  return async (c, next) => {
    const check = keyCheck(c);
    let thrown: { error: unknown } | undefined;
    await lanes.run(check.hash, async (leave) => {
      try {
        await keyed(c, next, check, leave);
      } catch (error) {
        thrown = { error };
        return (error instanceof AppError && error.kind === 'unavailable') || isUnavailable(error);
      }
      return c.res.status === 503;
    });
    if (thrown) throw thrown.error;
  };
}

/**
 * The key check of a request, then the rest of its chain; `checked` is called as soon as the
 * statement that checked the key returned (the key's lane lets the next request go then).
 */
function keyedBy(
  apiKeys: AppDeps['apiKeys'],
  options: { admin: boolean; inStatement?: boolean },
): (c: Context<ApiEnv>, next: () => Promise<void>, check: KeyCheck, checked: () => void) => Promise<void> {
  const { admin } = options;
  return async function authenticate(c, next, check, checked) {
    const judge = (p: Principal) => {
      checked();
      accept(c, p, admin);
    };
    if (!options.inStatement) {
      judge(await apiKeys.authenticate(check));
      return next();
    }
    c.set('key', {
      gate: apiKeys.gate(check, admin),
      accept: judge,
      authenticate: async () => {
        const p = await apiKeys.authenticate(check);
        judge(p);
        return p;
      },
    });
    return next();
  };
}
