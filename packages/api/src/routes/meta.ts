import type { Handler } from 'hono';
import * as z from 'zod';
import { HealthBody } from '../contracts.ts';
import type { ApiEnv } from '../middleware/env.ts';
import type { CachedHealth } from '../schema-gate.ts';
import type { RouteDoc } from './define.ts';

/*
 * The two routes outside the JSON pipeline: public, never gated (they must answer while the
 * schema is behind), with no inputs, and answered by plain Hono handlers of their own. Their docs
 * are in the OpenAPI document like every other route's.
 */

export const healthRoute: RouteDoc = {
  method: 'get',
  path: '/health',
  operationId: 'health',
  summary: 'Database reachability and schema version',
  tag: 'meta',
  access: 'public',
  gated: false,
  responses: {
    200: { description: 'Healthy or Degraded (embedded database)', schema: HealthBody },
    503: {
      description: 'Unhealthy: unreachable, or the schema is behind the code (the same report)',
      schema: HealthBody,
      headers: { 'Retry-After': { description: 'Seconds before asking again', schema: z.int().min(0) } },
    },
  },
};

/** The cached probe the gate uses too, so polling health costs no extra round trip. */
export function serveHealth(health: CachedHealth, retryAfterSeconds: number): Handler<ApiEnv> {
  return async (c) => {
    const report = await health();
    if (report.status !== 'Unhealthy') return c.json(report, 200, { 'Cache-Control': 'no-store' });
    return c.json(report, 503, { 'Cache-Control': 'no-store', 'Retry-After': String(retryAfterSeconds) });
  };
}

/** The document's outline; what is inside it is OpenAPI 3.1's own schema. */
const OpenApiDocument = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
  components: z.record(z.string(), z.unknown()).optional(),
});

export const openApiRoute: RouteDoc = {
  method: 'get',
  path: '/openapi.json',
  operationId: 'openapi',
  summary: 'This document',
  tag: 'meta',
  access: 'public',
  gated: false,
  responses: { 200: { description: 'OpenAPI 3.1 document', schema: OpenApiDocument } },
};

/**
 * Rendered on the first request for it, from a chunk loaded then: a cold start that serves
 * anything else skips turning every route's schemas into JSON Schema (≈ 60 ms).
 */
export function serveOpenApi(routes: readonly RouteDoc[]): Handler<ApiEnv> {
  let document: Promise<string> | undefined;
  return async (c) => {
    document ??= import('../openapi.ts')
      .then(({ buildOpenApi }) => JSON.stringify(buildOpenApi(routes)))
      .catch((e: unknown) => {
        document = undefined; // the next request tries again
        throw e;
      });
    return c.body(await document, 200, { 'Content-Type': 'application/json' });
  };
}
