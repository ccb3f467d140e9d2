import * as z from 'zod';
import { PROBLEM_CONTENT_TYPE, Problem } from './problem.ts';
import type { RouteDoc } from './routes/define.ts';

type JsonSchema = Record<string, unknown>;
type Render = (schema: z.ZodType, io: 'input' | 'output') => JsonSchema;
type ProblemResponse = (description: string) => Record<string, unknown>;

/**
 * OpenAPI 3.1 from the routes' own zod schemas (zod v4's `z.toJSONSchema`, draft 2020-12, which
 * OpenAPI 3.1 uses as is). Request schemas are rendered as input (defaults optional), responses
 * as output.
 */
export function buildOpenApi(routes: readonly RouteDoc[], info: { title?: string; version?: string } = {}) {
  const components: Record<string, JsonSchema> = {};
  const render = schemaRenderer(components);
  components.Problem = render(Problem, 'output');
  const problem: ProblemResponse = (description) => ({
    description,
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  });

  const paths: Record<string, Record<string, unknown>> = {};
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
      responses: operationResponses(r, render, problem),
    };
  }

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
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer gl_<prefix>_<secret>' },
      },
    },
  };
}

/**
 * Renders zod schemas into JSON Schema. `$defs` that zod emits (recursive JSON values) move to
 * `components`, because a `#/...` reference inside an OpenAPI document points at the document's root.
 */
function schemaRenderer(components: Record<string, JsonSchema>): Render {
  let defCounter = 0;
  return (schema, io) => {
    const out = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
    delete out.$schema;
    const defs = out.$defs as Record<string, JsonSchema> | undefined;
    delete out.$defs;
    if (!defs) return out;
    const renames = new Map<string, string>();
    for (const name of Object.keys(defs)) renames.set(name, `Def${defCounter++}`);
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
        ...(rest.type === 'array' ? { style: 'form', explode: true } : {}),
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
function operationResponses(r: RouteDoc, render: Render, problem: ProblemResponse) {
  const responses: Record<string, unknown> = {};
  for (const [status, spec] of Object.entries(r.responses)) {
    responses[status] =
      Number(status) >= 400
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
  return responses;
}
