import { Hono } from 'hono';
import { registerAssets } from './assets/routes.ts';
import type { ConsoleDeps } from './deps.ts';
import type { ConsoleEnv, ConsoleServices } from './env.ts';
import { limitFormBody } from './http/body-limit.ts';
import { errorPage, notFoundPage } from './http/errors.tsx';
import { securityHeaders } from './http/security-headers.ts';
import { registerEventPages } from './pages/events/routes.tsx';
import { registerFailedPages } from './pages/failed/routes.tsx';
import { registerGenerationPages } from './pages/generations/routes.tsx';
import { registerKeyPages } from './pages/keys/routes.tsx';
import { registerOverview } from './pages/overview/routes.tsx';
import { registerRetryPages } from './pages/retries/routes.tsx';
import { registerSettingsPages } from './pages/settings/routes.tsx';
import { registerWebhookPages } from './pages/webhooks/routes.tsx';
import { authenticated } from './session/authenticate.tsx';
import { registerSignIn, registerSignOut } from './session/sign-in.tsx';

export interface ConsoleOptions {
  /** Clock for session expiry (tests). */
  now?: () => number;
}

/** The operator console, mounted at /console beside the JSON API. */
export function createConsole(deps: ConsoleDeps, options: ConsoleOptions = {}) {
  const services: ConsoleServices = { deps, now: options.now ?? Date.now };
  const app = new Hono<ConsoleEnv>().basePath('/console');

  app.use('*', securityHeaders, limitFormBody);
  app.onError(errorPage(deps));
  app.notFound(notFoundPage);

  // Before sign-in: the assets and the sign-in form.
  registerAssets(app);
  registerSignIn(app, services);

  app.use('*', authenticated(services));
  registerSignOut(app);
  registerOverview(app, services);
  registerGenerationPages(app, services);
  registerFailedPages(app, services);
  registerRetryPages(app, services);
  registerEventPages(app, services);
  registerWebhookPages(app, services);
  registerKeyPages(app, services);
  registerSettingsPages(app, services);
  return app;
}
