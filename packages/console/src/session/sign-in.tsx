/** @jsxImportSource hono/jsx */
import { isAppError } from '@genledger/core/errors';
import type { Hono } from 'hono';
import { getCookie } from 'hono/cookie';
import type { ConsoleEnv, ConsoleServices } from '../env.ts';
import { form, one } from '../http/form.ts';
import { Flash } from '../ui/flash.tsx';
import { render } from '../ui/render.tsx';
import { sameOrigin } from './csrf.ts';
import {
  newSession,
  SESSION_COOKIE,
  SESSION_TTL_SECONDS,
  sessionCookie,
  signSession,
  verifySession,
} from './session-cookie.ts';

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

/** Sign-in (an API key exchanged for a session cookie), before any session is asked for. */
export function registerSignIn(app: Hono<ConsoleEnv>, s: ConsoleServices) {
  const { deps } = s;
  const secret = deps.sessionSecret;

  app.get('/signin', async (c) => {
    if (verifySession(secret, getCookie(c, SESSION_COOKIE), s.now())) return c.redirect('/console/', 303);
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
    const session = newSession(apiKeyId, s.now());
    c.header(
      'Set-Cookie',
      sessionCookie(signSession(secret, session), new URL(c.req.url), SESSION_TTL_SECONDS),
    );
    deps.logger.info('console sign-in', { apiKeyId });
    return c.redirect('/console/', 303);
  });
}

/** Sign-out clears the cookie; registered behind the session check, so it needs the CSRF token. */
export function registerSignOut(app: Hono<ConsoleEnv>) {
  app.post('/signout', (c) => {
    c.header('Set-Cookie', sessionCookie('', new URL(c.req.url), 0));
    return c.redirect('/console/signin', 303);
  });
}
