import { errorFields, stackFrames } from '@genledger/core/error-summary';
import { AppError, fieldErrorsFromZod, isAppError, validationError } from '@genledger/core/errors';
import type { Owner, Principal } from '@genledger/core/ports/principal';
import { isDatabaseUnavailable } from '@genledger/db/pg-errors';
import { type Context, Hono, type MiddlewareHandler } from 'hono';
import * as z from 'zod';
import { ARRAY_QUERY_PARAMS, HealthBody } from './contracts.ts';
import type { AppDeps } from './deps.ts';
import {
  EdgeProblemError,
  edgeProblem,
  PROBLEM_CONTENT_TYPE,
  type Problem,
  problemFromAppError,
} from './problem.ts';
import { adminRoutes } from './routes/admin.ts';
import { type KeyContext, type RouteSpec, route, routerPath } from './routes/define.ts';
import { failedMessageRoutes } from './routes/failed-messages.ts';
import { generationRoutes } from './routes/generations.ts';
import { cachedHealth, gateReason } from './schema-gate.ts';

/**
 * Why Hono: it routes web-standard Request → Response, so the one app runs unchanged under
 * @hono/node-server (`npm start`, tests, benches) and in Lambda behind a 60-line API Gateway v2
 * adapter of our own (`lambda-adapter.ts`). Powertools' event-handler Router is the other
 * candidate; it speaks Lambda events, so serving it locally would mean faking events, and its
 * middleware/validation story is younger. Hono's own `handle` (hono/aws-lambda, maintained) re-splits
 * a decoded rawPath at `#` and `?`; why we keep our adapter, measured, is in docs/http.md.
 */

export const MAX_BODY_BYTES = 64 * 1024;
/** Seconds a client should wait while the schema is being upgraded or the database is away. */
export const GATE_RETRY_AFTER_SECONDS = 5;

type Env = {
  Bindings: { lambdaRequestId?: string };
  Variables: { requestId: string; keyPrefix?: string; bodyText?: string };
};

const healthRoute = route({
  method: 'get',
  path: '/health',
  operationId: 'health',
  summary: 'Database reachability and schema version',
  tag: 'meta',
  access: 'public',
  gated: false,
  responses: {
    200: { description: 'Healthy or Degraded (embedded database)', schema: HealthBody },
    503: { description: 'Unhealthy: unreachable, or the schema is behind the code' },
  },
  handler: async () => ({ status: 200 }), // replaced in createApp: it needs the cached probe
});

const openApiRoute = route({
  method: 'get',
  path: '/openapi.json',
  operationId: 'openapi',
  summary: 'This document',
  tag: 'meta',
  access: 'public',
  gated: false,
  responses: { 200: { description: 'OpenAPI 3.1 document' } },
  handler: async () => ({ status: 200 }),
});

/** Every route of the app, in the order they are documented. */
export const ROUTES: readonly RouteSpec[] = [
  healthRoute,
  openApiRoute,
  ...generationRoutes,
  ...adminRoutes,
  ...failedMessageRoutes,
];

/** Routes without a query schema accept none: an unknown parameter is a 400, not silently ignored. */
const NO_QUERY = z.strictObject({});

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function problemResponse(c: Context<Env>, p: Problem, headers: Record<string, string> = {}) {
  const body: Problem = { ...p, instance: c.req.path, requestId: c.get('requestId') };
  return c.body(JSON.stringify(body), p.status as 400, { ...headers, 'Content-Type': PROBLEM_CONTENT_TYPE });
}

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return m?.[1];
}

function parseOrThrow<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const r = schema.safeParse(value);
  if (!r.success) {
    throw validationError(
      `the ${where} is invalid`,
      fieldErrorsFromZod(r.error.issues).map((f) => ({
        ...f,
        field: f.field === '(root)' ? where : f.field,
      })),
    );
  }
  return r.data;
}

/** Query string → object: repeatable parameters as arrays (also comma-separated), others once. */
function queryObject(c: Context<Env>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, values] of Object.entries(c.req.queries())) {
    if (ARRAY_QUERY_PARAMS.has(name)) {
      out[name] = values.flatMap((v) => v.split(',')).filter((v) => v.length > 0);
    } else if (values.length > 1) {
      throw validationError(`query parameter ${name} was given more than once`, [
        { field: name, message: 'give it once' },
      ]);
    } else out[name] = values[0];
  }
  return out;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

/** A JSON object body, or a 4xx: wrong content type, empty, malformed, or not an object. */
async function jsonBody(c: Context<Env>): Promise<unknown> {
  const type = c.req.header('content-type');
  if (!type || !JSON_TYPE.test(type)) {
    throw new EdgeProblemError(
      edgeProblem(
        'unsupported-media-type',
        `send the body as application/json (got ${type ? JSON.stringify(type.slice(0, 100)) : 'no Content-Type'})`,
      ),
    );
  }
  const text = c.get('bodyText') ?? (await c.req.text());
  if (text.trim().length === 0)
    throw validationError('a JSON body is required', [{ field: 'body', message: 'required' }]);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw validationError('the body is not valid JSON', [
      { field: 'body', message: e instanceof Error ? e.message : 'malformed JSON' },
    ]);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw validationError('the body must be a JSON object', [
      { field: 'body', message: 'must be a JSON object' },
    ]);
  }
  return value;
}

const tooLarge = (c: Context<Env>) =>
  problemResponse(c, edgeProblem('payload-too-large', `the body must be at most ${MAX_BODY_BYTES} bytes`));

/**
 * Refuses bodies over MAX_BODY_BYTES before authentication or parsing. A declared Content-Length
 * is judged without touching the body, so the body is later read as plain bytes (@hono/node-server
 * then skips building a web stream, which cost a third of a POST's CPU); a chunked body is read
 * here, up to the limit and no further.
 */
const limitBody: MiddlewareHandler<Env> = async (c, next) => {
  const declared = c.req.header('content-length');
  if (declared !== undefined && c.req.header('transfer-encoding') === undefined) {
    return Number(declared) > MAX_BODY_BYTES ? tooLarge(c) : next();
  }
  const stream = c.req.raw.body;
  if (!stream) return next();
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      return tooLarge(c);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  c.set('bodyText', new TextDecoder().decode(bytes));
  return next();
};

export function createApp(deps: AppDeps) {
  const app = new Hono<Env>();
  const health = cachedHealth(deps.health, deps.healthTtlMs);
  // Rendered on the first request for it, from a chunk loaded then: a cold start that serves
  // anything else skips turning every route's schemas into JSON Schema (≈ 30 ms).
  let openApi: Promise<string> | undefined;
  const log = deps.logger;

  // Request id, timing and the one log line per request (never a key or a body).
  app.use('*', async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId =
      incoming && REQUEST_ID.test(incoming) ? incoming : (c.env?.lambdaRequestId ?? crypto.randomUUID());
    c.set('requestId', requestId);
    // Set before the response exists: touching a finished response's headers makes
    // @hono/node-server build a full web Response (with a body stream) just to add one.
    c.header('X-Request-Id', requestId);
    await next();
    const status = c.res.status;
    const fields = {
      method: c.req.method,
      route: c.req.routePath,
      path: c.req.path,
      status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      requestId: c.get('requestId'),
      keyPrefix: c.get('keyPrefix') ?? null,
    };
    if (status >= 500) log.error('request', fields);
    else log.info('request', fields);
  });

  app.onError((err, c) => {
    if (isAppError(err)) {
      const headers: Record<string, string> = {};
      if (err.retryAfterSeconds !== undefined) headers['Retry-After'] = String(err.retryAfterSeconds);
      if (err.kind === 'unauthorized') headers['WWW-Authenticate'] = 'Bearer realm="genledger"';
      if (err.kind === 'configuration')
        log.error('configuration error', { requestId: c.get('requestId'), error: err.message });
      return problemResponse(c, problemFromAppError(err), headers);
    }
    if (err instanceof EdgeProblemError) return problemResponse(c, err.problem);
    if (isDatabaseUnavailable(err)) {
      // Down, restarting, timing out, out of connections or a lock held too long: not the
      // client's fault and not a bug. The next health probe runs now rather than after its TTL.
      health.invalidate();
      log.warn('database unavailable', { requestId: c.get('requestId'), ...errorFields(err) });
      return problemResponse(
        c,
        problemFromAppError(new AppError('unavailable', 'the database is unavailable; retry shortly')),
        { 'Retry-After': String(GATE_RETRY_AFTER_SECONDS) },
      );
    }
    // Class, code and causes only: a driver error's message quotes the statement's parameters.
    log.error('unhandled error', {
      requestId: c.get('requestId'),
      ...errorFields(err),
      stack: stackFrames(err),
    });
    return problemResponse(
      c,
      edgeProblem('internal', 'an unexpected error occurred; quote the request id when reporting it'),
    );
  });

  app.notFound((c) =>
    problemResponse(c, {
      type: 'https://genledger.dev/problems/not-found',
      title: 'Not found',
      status: 404,
      detail: `no route for ${c.req.method} ${c.req.path}`,
    }),
  );

  async function run(spec: RouteSpec, c: Context<Env>) {
    if (spec.gated !== false) {
      const reason = gateReason(await health());
      if (reason) throw new AppError('unavailable', reason, { retryAfterSeconds: GATE_RETRY_AFTER_SECONDS });
    }
    let principal: Principal | undefined;
    let key: KeyContext | undefined;
    let inputs: { params: unknown; query: unknown; body: unknown };
    const parseInputs = async () => ({
      params: parseOrThrow(spec.params, c.req.param(), 'path'),
      query: parseOrThrow(spec.query ?? NO_QUERY, queryObject(c), 'query'),
      body: spec.body ? parseOrThrow(spec.body, await jsonBody(c), 'body') : undefined,
    });
    const accept = (p: Principal) => {
      principal = p;
      c.set('keyPrefix', p.prefix);
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
      if (spec.access === 'admin' && !p.isAdmin)
        throw new AppError('forbidden', 'this route needs an admin API key');
    };
    if (spec.access !== 'public') {
      const token = bearer(c.req.header('authorization'));
      if (!token) throw new AppError('unauthorized', 'an API key is required: Authorization: Bearer <key>');
      if (spec.keyInStatement) {
        try {
          inputs = await parseInputs();
        } catch (e) {
          accept(await deps.apiKeys.authenticate(token));
          throw e;
        }
        key = {
          gate: deps.apiKeys.gate(token, spec.access === 'admin'),
          accept,
          authenticate: async () => {
            const p = await deps.apiKeys.authenticate(token);
            accept(p);
            return p;
          },
        };
      } else {
        accept(await deps.apiKeys.authenticate(token));
        inputs = await parseInputs();
      }
    } else inputs = await parseInputs();
    const owner: Owner =
      !principal || principal.isAdmin ? { admin: true } : { admin: false, apiKeyId: principal.apiKeyId };
    const reply = await spec.handler({
      deps,
      ...inputs,
      principal,
      owner,
      key,
      requestId: c.get('requestId'),
      header: (name) => c.req.header(name),
      metadata: { requestId: c.get('requestId'), ...(principal ? { apiKeyId: principal.apiKeyId } : {}) },
    });
    // A handler that was given the key check must have judged it: never answer unauthenticated.
    if (key && !principal) throw new Error(`${spec.operationId}: the handler never authenticated the key`);
    if (reply.body === undefined) return c.body(null, reply.status as 204, reply.headers);
    return c.json(reply.body, reply.status as 200, reply.headers);
  }

  app.get('/health', async (c) => {
    const report = await health();
    if (report.status !== 'Unhealthy') return c.json(report, 200, { 'Cache-Control': 'no-store' });
    return c.json(report, 503, {
      'Cache-Control': 'no-store',
      'Retry-After': String(GATE_RETRY_AFTER_SECONDS),
    });
  });
  app.get('/openapi.json', async (c) => {
    openApi ??= import('./openapi.ts')
      .then(({ buildOpenApi }) => JSON.stringify(buildOpenApi(ROUTES)))
      .catch((e: unknown) => {
        openApi = undefined; // the next request tries again
        throw e;
      });
    return c.body(await openApi, 200, { 'Content-Type': 'application/json' });
  });
  // The operator console: its own sub-app (HTML, cookies, CSRF), loaded on its first request so
  // that cold starts serving the JSON API never load its pages.
  let consoleApp: Promise<{ fetch(req: Request): Response | Promise<Response> }> | undefined;
  const serveConsole = async (c: Context<Env>) => {
    if (!deps.console) return c.notFound();
    consoleApp ??= import('./console/index.tsx')
      .then(({ createConsole }) => createConsole(deps))
      .catch((e: unknown) => {
        consoleApp = undefined;
        throw e;
      });
    return (await consoleApp).fetch(c.req.raw);
  };
  app.get('/', (c) => c.redirect('/console/', 302));
  app.all('/console', serveConsole);
  app.all('/console/*', serveConsole);
  for (const spec of ROUTES) {
    if (spec === healthRoute || spec === openApiRoute) continue;
    const handler = (c: Context<Env>) => run(spec, c);
    if (spec.body) app.on(spec.method.toUpperCase(), routerPath(spec.path), limitBody, handler);
    else app.on(spec.method.toUpperCase(), routerPath(spec.path), handler);
  }
  return app;
}

export type App = ReturnType<typeof createApp>;
