import { canonicalId } from '@genledger/core/contracts/ids';
import { fieldErrorsFromZod, validationError } from '@genledger/core/errors';
import type { Context, MiddlewareHandler } from 'hono';
import * as z from 'zod';
import { ARRAY_QUERY_PARAMS } from '../contracts.ts';
import { headerText } from '../header-text.ts';
import { EdgeProblemError, edgeProblem } from '../problem.ts';
import type { RouteSpec } from '../routes/define.ts';
import type { ApiEnv, RouteInputs } from './env.ts';

/** Routes without a query schema accept none: an unknown parameter is a 400, not silently ignored. */
const NO_QUERY = z.strictObject({});

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

/** Path parameters with ids in their stored spelling, so every route finds what the others find. */
function pathObject(c: Context<ApiEnv>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(c.req.param() as Record<string, string>).map(([k, v]) => [k, canonicalId(v)]),
  );
}

/** Query string → object: repeatable parameters as arrays (also comma-separated), others once. */
function queryObject(c: Context<ApiEnv>): Record<string, unknown> {
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

/**
 * The route's declared request headers, by lower-case name, read as UTF-8 text (`headerText`) and
 * validated against their schemas; an undeclared header never reaches a handler.
 */
function headerObject(c: Context<ApiEnv>, spec: RouteSpec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of spec.requestHeaders ?? []) {
    const raw = c.req.header(h.name);
    if (raw === undefined) continue;
    const value = headerText(raw);
    if (value === undefined) {
      throw validationError(`the ${h.name} header is not UTF-8 text`, [
        { field: h.name, message: 'must be UTF-8 text (no invalid byte sequences, no U+FFFD)' },
      ]);
    }
    out[h.name.toLowerCase()] = parseOrThrow(h.schema, value, h.name) as string;
  }
  return out;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;.*)?$/i;

/** A JSON object body, or a 4xx: wrong content type, empty, malformed, or not an object. */
async function jsonBody(c: Context<ApiEnv>): Promise<unknown> {
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

/**
 * Path, query, declared headers and body against the route's zod schemas (400 naming each field, 415 for a body
 * that is not JSON), handed on as `inputs`. On a route whose key is checked in its own statement,
 * invalid inputs still get the key checked first, so 401, 429 and 403 come before 400 there too.
 */
export function validateInputs(spec: RouteSpec): MiddlewareHandler<ApiEnv> {
  const query = spec.query ?? NO_QUERY;
  return async function validateInputs(c, next) {
    let inputs: RouteInputs;
    try {
      inputs = {
        params: parseOrThrow(spec.params, pathObject(c), 'path'),
        query: parseOrThrow(query, queryObject(c), 'query'),
        headers: headerObject(c, spec),
        body: spec.body ? parseOrThrow(spec.body, await jsonBody(c), 'body') : undefined,
      };
    } catch (e) {
      const key = c.get('key');
      if (key && !c.get('principal')) await key.authenticate();
      throw e;
    }
    c.set('inputs', inputs);
    return next();
  };
}
