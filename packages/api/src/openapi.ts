import * as z from 'zod';
import { COMMON_HEADERS, commonHeadersOf, NAMED_SCHEMAS } from './openapi-components.ts';
import { PROBLEM_CONTENT_TYPE } from './problem.ts';
import type { ResponseSpec, RouteDoc } from './routes/define.ts';

type JsonSchema = Record<string, unknown>;
type Render = (schema: z.ZodType, io: 'input' | 'output') => JsonSchema;
type ProblemResponse = (description: string) => Record<string, unknown>;
type Headers = Record<string, unknown>;

/**
 * OpenAPI 3.1 from the routes' own zod schemas (zod v4's `z.toJSONSchema`, draft 2020-12, which
 * OpenAPI 3.1 uses as is). Request schemas are rendered as input (defaults optional), responses
 * as output.
 */
export function buildOpenApi(routes: readonly RouteDoc[], info: { title?: string; version?: string } = {}) {
  const components: Record<string, JsonSchema> = {};
  const render = schemaRenderer(components);
  const problem: ProblemResponse = (description) => ({
    description,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  });

  const paths: Record<string, Record<string, unknown>> = {};
  const usedHeaders = new Set<string>();
  for (const r of routes) {
    const parameters = operationParameters(r, render);
    paths[r.path] ??= {};
    paths[r.path]![r.method] = {
      operationId: r.operationId,
      summary: r.summary,
      tags: [r.tag],
      security: r.access === 'public' ? [] : [{ apiKey: [] }],
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: render(r.body, 'input') } },
            },
          }
        : {}),
      responses: operationResponses(r, render, problem, usedHeaders),
    };
  }

  // The named resources no route's schema brought in (Problem, which responses refer to by name).
  for (const n of NAMED_SCHEMAS) if (!components[n.name]) render(n.schema, n.io);

  return {
    openapi: '3.1.0',
    info: {
      title: info.title ?? 'genledger API',
      version: info.version ?? '0.1.0',
      description:
        'Generation requests, their runs and events, API keys and runtime settings. Errors are RFC 9457 problem+json.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: components,
      headers: headerComponents(render, usedHeaders),
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer gl_<prefix>_<secret>' },
      },
    },
  };
}

/**
 * Renders zod schemas into JSON Schema. `$defs` that zod emits move to `components`, because a
 * `#/...` reference inside an OpenAPI document points at the document's root. The resources of
 * NAMED_SCHEMAS are among them under their own names (zod extracts a schema whose metadata has an
 * `id`); the others (recursive JSON values) are numbered.
 */
function schemaRenderer(components: Record<string, JsonSchema>): Render {
  let defCounter = 0;
  const metadata = { input: namedMetadata('input'), output: namedMetadata('output') };
  const named = new Set(NAMED_SCHEMAS.map((n) => n.name));
  return (schema, io) => {
    const out = z.toJSONSchema(schema, {
      io,
      unrepresentable: 'any',
      target: 'draft-2020-12',
      metadata: metadata[io],
    }) as JsonSchema;
    delete out.$schema;
    const defs = out.$defs as Record<string, JsonSchema> | undefined;
    delete out.$defs;
    if (!defs) return out;
    const renames = new Map<string, string>();
    for (const name of Object.keys(defs)) renames.set(name, named.has(name) ? name : `Def${defCounter++}`);
    const rewrite = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(rewrite);
      if (v && typeof v === 'object') {
        const o: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) {
          o[k] =
            k === '$ref' && typeof x === 'string' && x.startsWith('#/$defs/')
              ? `#/components/schemas/${renames.get(x.slice('#/$defs/'.length))}`
              : rewrite(x);
        }
        return o;
      }
      return v;
    };
    for (const [name, def] of Object.entries(defs))
      components[renames.get(name)!] = rewrite(def) as JsonSchema;
    return rewrite(out) as JsonSchema;
  };
}

/**
 * zod's metadata (descriptions, deprecations) with an `id` for each named schema rendered in this
 * direction. Only `get` is read by `z.toJSONSchema`; the named schemas' own metadata stays as is.
 */
function namedMetadata(io: 'input' | 'output'): z.core.$ZodRegistry<z.core.GlobalMeta> {
  const ids = new Map<unknown, string>(
    NAMED_SCHEMAS.filter((n) => n.io === io).map((n) => [n.schema, n.name]),
  );
  const get = (schema: z.core.$ZodType) => {
    const id = ids.get(schema);
    const meta = z.globalRegistry.get(schema);
    return id ? { ...meta, id } : meta;
  };
  return { get } as unknown as z.core.$ZodRegistry<z.core.GlobalMeta>;
}

/**
 * The common headers the responses refer to: `<name>` where a status always carries one,
 * `<name>.sometimes` where it may (a header reference cannot change `required`).
 */
function headerComponents(render: Render, used: ReadonlySet<string>): Headers {
  const headers: Headers = {};
  for (const [name, h] of Object.entries(COMMON_HEADERS)) {
    const header = { description: h.description, schema: render(h.schema, 'output') };
    if (used.has(name)) headers[name] = { ...header, required: true };
    if (used.has(`${name}.sometimes`)) headers[`${name}.sometimes`] = { ...header, required: false };
  }
  return headers;
}

/** A response's headers: the common ones its route and status carry, and the route's own. */
function responseHeaders(
  r: RouteDoc,
  status: number,
  own: ResponseSpec['headers'],
  render: Render,
  used: Set<string>,
) {
  const headers: Headers = {};
  for (const h of commonHeadersOf(r.access, status)) {
    const component = `${h.name}${h.required ? '' : '.sometimes'}`;
    used.add(component);
    headers[h.name] = { $ref: `#/components/headers/${component}` };
  }
  for (const [name, h] of Object.entries(own ?? {}))
    headers[name] = {
      description: h.description,
      required: h.required ?? true,
      schema: render(h.schema, 'output'),
    };
  return headers;
}

/** Path and query parameters, one per property of their schemas, and the request headers. */
function operationParameters(r: RouteDoc, render: Render): unknown[] {
  const parameters: unknown[] = [];
  const addParams = (schema: z.ZodType | undefined, where: 'path' | 'query') => {
    if (!schema) return;
    const s = render(schema, 'input');
    const props = (s.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((s.required as string[] | undefined) ?? []);
    for (const [name, p] of Object.entries(props)) {
      const { description, ...rest } = p;
      parameters.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        ...(description ? { description } : {}),
        schema: rest,
        // Comma-separated (`status=pending,running`), as validate-inputs reads it; repeating the
        // parameter is accepted too, which OpenAPI cannot say beside it.
        ...(rest.type === 'array' ? { style: 'form', explode: false } : {}),
      });
    }
  };
  addParams(r.params, 'path');
  addParams(r.query, 'query');
  for (const h of r.requestHeaders ?? []) {
    parameters.push({
      name: h.name,
      in: 'header',
      required: false,
      description: h.description,
      schema: render(h.schema, 'input'),
    });
  }
  return parameters;
}

/** The route's own responses, and the problems its access, inputs and gating can answer with. */
function operationResponses(r: RouteDoc, render: Render, problem: ProblemResponse, usedHeaders: Set<string>) {
  const responses: Record<string, Record<string, unknown>> = {};
  for (const [status, spec] of Object.entries(r.responses)) {
    responses[status] =
      Number(status) >= 400 && !spec.schema
        ? problem(spec.description)
        : spec.schema
          ? {
              description: spec.description,
              content: { 'application/json': { schema: render(spec.schema, 'output') } },
            }
          : { description: spec.description };
  }
  if (r.params || r.query || r.body || r.requestHeaders)
    responses['400'] ??= problem('Invalid request (see `errors`)');
  if (r.access !== 'public') {
    responses['401'] ??= problem('Missing, unknown, revoked or expired API key');
    responses['429'] ??= problem('Over the per-minute rate limit; see Retry-After and RateLimit-* headers');
  }
  if (r.access === 'admin') responses['403'] ??= problem('An admin key is required');
  if (r.body) {
    responses['413'] ??= problem('Body larger than 64 KB');
    responses['415'] ??= problem('Content-Type is not application/json');
  }
  if (r.gated !== false)
    responses['503'] ??= problem(
      'Database unreachable, restarting or timing out, a row lock held too long, or a schema upgrade in progress; see Retry-After',
    );
  responses['500'] ??= problem('Unexpected error; quote the X-Request-Id');
  for (const [status, response] of Object.entries(responses)) {
    const own = r.responses[Number(status)]?.headers;
    response.headers = responseHeaders(r, Number(status), own, render, usedHeaders);
  }
  return responses;
}
