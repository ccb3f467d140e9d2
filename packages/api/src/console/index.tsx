/** @jsxImportSource hono/jsx */
import { errorFields, stackFrames } from '@genledger/core/error-summary';
import { asAppError, HTTP_STATUS, isAppError } from '@genledger/core/errors';
import { Hono, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import { GATE_RETRY_AFTER_SECONDS } from '../app.ts';
import { registerAdminPages } from './admin.tsx';
import { ASSET_CACHE_CONTROL, asset } from './assets.ts';
import { type ConsoleEnv, type ConsoleServices, form, one, render } from './context.tsx';
import type { ConsoleDeps } from './deps.ts';
import { registerFailedPages } from './failed.tsx';
import { registerGenerationPages } from './generations.tsx';
import { Flash } from './layout.tsx';
import { registerOverview } from './overview.tsx';
import { ConsoleQueries } from './queries.ts';
import {
  csrfToken,
  csrfValid,
  newSession,
  SESSION_COOKIE,
  SESSION_TTL_SECONDS,
  sessionCookie,
  signSession,
  verifySession,
} from './session.ts';

export interface ConsoleOptions {
  /** Clock for session expiry (tests). */
  now?: () => number;
}

/**
 * Only scripts, styles and images of this origin, no framing, no referrer: the console shows
 * operational data and acts on it. Images may also come from https: (generator outputs by URL).
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' https: data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

const ADMIN_PATHS = /^\/console\/(failed|retries|retry|events|keys|settings)(\/|$)/;

function SignInForm(props: { error?: string }) {
  return (
    <div class="signin">
      <h1>genledger console</h1>
      {props.error && <Flash kind="error">{props.error}</Flash>}
      <form method="post" action="/console/signin" class="stack card" autocomplete="off">
        <label>
          API key
          <input type="password" name="key" required autofocus autocomplete="off" spellcheck={false} />
        </label>
        <button type="submit">Sign in</button>
        <p class="muted small">
          The key is exchanged for a session cookie and never kept by the browser or shown again. An admin key
          sees everything; another key sees its own generations.
        </p>
      </form>
    </div>
  );
}

/** The operator console, mounted at /console by the HTTP app. */
export function createConsole(deps: ConsoleDeps, options: ConsoleOptions = {}) {
  const services: ConsoleServices = {
    deps,
    queries: new ConsoleQueries(deps.console.database),
    secret: deps.console.sessionSecret,
    now: options.now ?? Date.now,
  };
  const { secret, queries } = services;
  const app = new Hono<ConsoleEnv>().basePath('/console');

  app.use('*', async (c, next) => {
    await next();
    c.res.headers.set('Content-Security-Policy', CSP);
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    c.res.headers.set('X-Frame-Options', 'DENY');
    // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on form posts.
    c.res.headers.set('Referrer-Policy', 'same-origin');
  });
  app.use('*', bodyLimit({ maxSize: 64 * 1024, onError: (c) => c.text('request body too large', 413) }));

  app.onError(async (err, c) => {
    // As the API maps them (core's asAppError and HTTP_STATUS): a database that is away is a 503
    // to retry, and a driver error is logged by class, code and cause, never by its message
    // (which quotes the parameters).
    const known = asAppError(err, deps.isUnavailable, GATE_RETRY_AFTER_SECONDS);
    if (known && known !== err) deps.logger.warn('database unavailable', errorFields(err));
    else if (!known) deps.logger.error('console error', { ...errorFields(err), stack: stackFrames(err) });
    if (known?.retryAfterSeconds !== undefined) c.header('Retry-After', String(known.retryAfterSeconds));
    const message = known && known.kind !== 'configuration' ? known.message : 'an unexpected error occurred';
    return render(c, 'Error', <Flash kind="error">{message}</Flash>, {
      status: known ? HTTP_STATUS[known.kind] : 500,
    });
  });
  app.notFound((c) =>
    render(c, 'Not found', <Flash kind="error">Nothing here: {c.req.path}</Flash>, { status: 404 }),
  );

  app.get('/assets/:name', async (c) => {
    const a = await asset(c.req.param('name'));
    if (!a) return c.text('not found', 404);
    return c.body(a.body, 200, { 'Content-Type': a.type, 'Cache-Control': ASSET_CACHE_CONTROL });
  });

  /**
   * A state change must come from this origin: the Origin header (sent by browsers on every POST)
   * must match, and — once signed in — the session's CSRF token must be in the form or header.
   */
  const sameOrigin = (c: { req: { header(n: string): string | undefined; url: string } }) => {
    const origin = c.req.header('origin');
    const site = c.req.header('sec-fetch-site');
    if (site && site !== 'same-origin' && site !== 'none') return false;
    return !origin || origin === new URL(c.req.url).origin;
  };

  app.get('/signin', async (c) => {
    if (verifySession(secret, getCookie(c, SESSION_COOKIE), services.now()))
      return c.redirect('/console/', 303);
    return render(c, 'Sign in', <SignInForm />, { ctx: null });
  });

  app.post('/signin', async (c) => {
    if (!sameOrigin(c))
      return render(c, 'Sign in', <SignInForm error="cross-site request refused" />, {
        status: 403,
        ctx: null,
      });
    const key = one((await form(c)).key)?.trim() ?? '';
    let apiKeyId: string;
    try {
      apiKeyId = (await deps.apiKeys.authenticate(key)).apiKeyId;
    } catch (e) {
      if (!isAppError(e) || e.kind !== 'unauthorized') throw e;
      deps.logger.info('console sign-in refused', { reason: e.message });
      return render(c, 'Sign in', <SignInForm error={e.message} />, { status: 401, ctx: null });
    }
    const session = newSession(apiKeyId, services.now());
    c.header(
      'Set-Cookie',
      sessionCookie(signSession(secret, session), new URL(c.req.url), SESSION_TTL_SECONDS),
    );
    deps.logger.info('console sign-in', { apiKeyId });
    return c.redirect('/console/', 303);
  });

  // Everything below needs a session.
  const authenticated: MiddlewareHandler<ConsoleEnv> = async (c, next) => {
    const session = verifySession(secret, getCookie(c, SESSION_COOKIE), services.now());
    const who = session && (await queries.activeKey(session.k));
    if (!session || !who) {
      if (session) c.header('Set-Cookie', sessionCookie('', new URL(c.req.url), 0));
      if (c.req.header('hx-request')) {
        c.header('HX-Redirect', '/console/signin');
        return c.body(null, 401);
      }
      if (c.req.method !== 'GET') return c.text('sign in first', 401);
      return c.redirect('/console/signin', 303);
    }
    c.set('who', who);
    c.set('session', session);
    c.set('page', { who, csrf: csrfToken(secret, session), section: '' });
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      const given = c.req.header('x-csrf-token') ?? one((await form(c))._csrf);
      if (!sameOrigin(c) || !csrfValid(secret, session, given)) {
        return render(
          c,
          'Refused',
          <Flash kind="error">
            This form has expired or did not come from this console (CSRF check failed). Reload the page and
            try again.
          </Flash>,
          { status: 403 },
        );
      }
    }
    if (ADMIN_PATHS.test(c.req.path) && !who.isAdmin) {
      return render(c, 'Admins only', <Flash kind="error">This page needs an admin API key.</Flash>, {
        status: 403,
      });
    }
    return next();
  };
  app.use('*', authenticated);

  app.post('/signout', (c) => {
    c.header('Set-Cookie', sessionCookie('', new URL(c.req.url), 0));
    return c.redirect('/console/signin', 303);
  });

  registerOverview(app, services);
  registerGenerationPages(app, services);
  registerFailedPages(app, services);
  registerAdminPages(app, services);
  return app;
}
