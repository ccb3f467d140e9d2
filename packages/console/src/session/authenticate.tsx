/** @jsxImportSource hono/jsx */
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { ConsoleEnv, ConsoleServices } from '../env.ts';
import { form, one } from '../http/form.ts';
import { Flash } from '../ui/flash.tsx';
import { render } from '../ui/render.tsx';
import { csrfToken, csrfValid, sameOrigin } from './csrf.ts';
import { takeFlash } from './flash-cookie.ts';
import { SESSION_COOKIE, sessionCookie, verifySession } from './session-cookie.ts';

const ADMIN_PATHS = /^\/console\/(failed|retries|retry|events|webhooks|keys|settings)(\/|$)/;

/**
 * Everything behind sign-in: a valid session of a key still usable (re-read on every request),
 * the CSRF token and this origin on every state change, an admin key for the admin pages.
 */
export function authenticated(s: ConsoleServices): MiddlewareHandler<ConsoleEnv> {
  const { readModel, sessionSecret: secret } = s.deps;
  return async (c, next) => {
    const session = verifySession(secret, getCookie(c, SESSION_COOKIE), s.now());
    const who = session && (await readModel.activeKey(session.k));
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
    c.set('takeFlash', () => takeFlash(c, secret, s.now()));
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
}
