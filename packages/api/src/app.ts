import { RETRY_AFTER_SECONDS } from '@genledger/core/errors';
import { type Context, type Handler, Hono, type MiddlewareHandler } from 'hono';
import type { AppDeps, MountedApp } from './deps.ts';
import { authenticate } from './middleware/authenticate.ts';
import { compression } from './middleware/compression.ts';
import type { ApiEnv } from './middleware/env.ts';
import { KeyLanes } from './middleware/key-lanes.ts';
import { limitBody } from './middleware/limit-body.ts';
import { problemNotFound, problemOnError } from './middleware/problems.ts';
import { requestId } from './middleware/request-id.ts';
import { requestLog } from './middleware/request-log.ts';
import { routeHandler } from './middleware/route-handler.ts';
import { schemaGate } from './middleware/schema-gate.ts';
import { validateInputs } from './middleware/validate-inputs.ts';
import { adminRoutes } from './routes/admin.ts';
import { CALLBACK_MAX_BYTES, callbackRoute, serveCallback } from './routes/callbacks.ts';
import { type RouteDoc, type RouteSpec, routerPath } from './routes/define.ts';
import { failedMessageRoutes } from './routes/failed-messages.ts';
import { generationRoutes } from './routes/generations.ts';
import { healthRoute, openApiRoute, serveHealth, serveOpenApi } from './routes/meta.ts';
import { webhookDeliveryRoutes } from './routes/webhook-deliveries.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { cachedHealth } from './schema-gate.ts';

/**
 * Why Hono: it routes web-standard Request → Response, so the one app runs unchanged under
 * @hono/node-server (`npm start`, tests, benches) and in Lambda behind a 60-line API Gateway v2
 * adapter of our own (`lambda-adapter.ts`). Powertools' event-handler Router is the other
 * candidate; it speaks Lambda events, so serving it locally would mean faking events, and its
 * middleware/validation story is younger. Hono's own `handle` (hono/aws-lambda, maintained) re-splits
 * a decoded rawPath at `#` and `?`; why we keep our adapter, measured, is in docs/http.md.
 */

export const MAX_BODY_BYTES = 64 * 1024;

/** The JSON API: every one goes through the middleware chain below to its handler. */
export const API_ROUTES: readonly RouteSpec[] = [
  ...generationRoutes,
  ...adminRoutes,
  ...failedMessageRoutes,
  ...webhookRoutes,
  ...webhookDeliveryRoutes,
];

/** Every documented route, in the order they are documented. */
export const ROUTES: readonly RouteDoc[] = [healthRoute, openApiRoute, ...API_ROUTES, callbackRoute];

/**
 * A JSON route's chain, only the links it needs, in this order: body size (before anything reads
 * it), the schema gate, the bearer key (rate limit, admin), the inputs, then the handler.
 */
export function routeChain(
  spec: RouteSpec,
  deps: AppDeps,
  gate: MiddlewareHandler<ApiEnv>,
  lanes?: KeyLanes,
) {
  const chain: Handler<ApiEnv>[] = [];
  if (spec.body) chain.push(limitBody(MAX_BODY_BYTES));
  if (spec.gated !== false) chain.push(gate);
  if (spec.access !== 'public') {
    chain.push(
      authenticate(deps.apiKeys, {
        admin: spec.access === 'admin',
        inStatement: spec.keyInStatement,
        ...(lanes ? { lanes, isUnavailable: deps.isUnavailable } : {}),
      }),
    );
  }
  chain.push(validateInputs(spec), routeHandler(spec, deps));
  return chain;
}

export function createApp(deps: AppDeps) {
  const app = new Hono<ApiEnv>();
  const health = cachedHealth(deps.health, deps.healthTtlMs);

  // Text answers (JSON, HTML, scripts, styles) go gzip or deflate as the client's Accept-Encoding
  // asks, for the API and the console alike; images (already compressed) and small answers as they
  // are. Behind API Gateway the encoded body travels base64 (lambda-adapter.ts).
  app.use('*', compression(), requestLog(deps.logger), requestId());
  app.onError(
    problemOnError({
      logger: deps.logger,
      health,
      retryAfterSeconds: RETRY_AFTER_SECONDS,
      isUnavailable: deps.isUnavailable,
      ...(deps.isLockTimeout ? { isLockTimeout: deps.isLockTimeout } : {}),
    }),
  );
  app.notFound(problemNotFound);

  app.get(healthRoute.path, serveHealth(health, RETRY_AFTER_SECONDS));
  app.get(openApiRoute.path, serveOpenApi(ROUTES));
  // Apps mounted beside the API: each loaded on its first request, so that cold starts serving
  // the JSON API never load them.
  for (const [prefix, load] of Object.entries(deps.mounts ?? {})) {
    let mounted: Promise<MountedApp> | undefined;
    const serve = async (c: Context<ApiEnv>) => {
      mounted ??= load().catch((e: unknown) => {
        mounted = undefined;
        throw e;
      });
      return (await mounted).fetch(c.req.raw);
    };
    app.all(prefix, serve);
    app.all(`${prefix}/*`, serve);
  }
  const home = deps.home;
  if (home) app.get('/', (c) => c.redirect(home, 302));

  const gate = schemaGate(health, RETRY_AFTER_SECONDS);
  app.post(
    routerPath(callbackRoute.path),
    limitBody(CALLBACK_MAX_BYTES),
    gate,
    serveCallback(deps.callbacks),
  );
  const lanes = deps.keyConcurrency ? new KeyLanes(deps.keyConcurrency, RETRY_AFTER_SECONDS) : undefined;
  for (const spec of API_ROUTES) {
    app.on(spec.method.toUpperCase(), [routerPath(spec.path)], ...routeChain(spec, deps, gate, lanes));
  }
  return app;
}

export type App = ReturnType<typeof createApp>;
