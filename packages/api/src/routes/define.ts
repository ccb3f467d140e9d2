import type { KeyGate } from '@genledger/core/ports/api-keys';
import type { Owner, Principal } from '@genledger/core/ports/principal';
import type { z } from 'zod';
import type { AppDeps } from '../deps.ts';

type Access = 'public' | 'key' | 'admin';
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteContext<P, Q, B> {
  deps: AppDeps;
  params: P;
  query: Q;
  body: B;
  /** Undefined on public routes only. */
  principal: Principal | undefined;
  /** Whose generations the caller may see: everything for an admin key, its own otherwise. */
  owner: Owner;
  requestId: string;
  /** The route's `requestHeaders` that were sent, by lower-case name: UTF-8 text, validated. */
  headers: Record<string, string | undefined>;
  /**
   * Routes with `keyInStatement` only: the bearer key's check for the handler's own statement,
   * and `accept`, which the handler must call with the principal that statement found (it sets the
   * rate-limit headers and throws 429/403). `authenticate` is the plain check, for a handler that
   * turns a request away before any statement of its own (a 404 still needs a valid key first).
   */
  key?: KeyContext;
  /** What stores record as event metadata: who and which request, never the key itself. */
  metadata: Record<string, unknown>;
}

export interface KeyContext {
  gate: KeyGate;
  accept(principal: Principal): void;
  authenticate(): Promise<Principal>;
}

export interface ResponseSpec {
  description: string;
  /** The body; a status of 400 or more without one is problem+json. */
  schema?: z.ZodType;
  /**
   * Headers this route itself sends with the status (Location, Idempotent-Replayed); the ones every
   * route sends (X-Request-Id, RateLimit-*, Retry-After, WWW-Authenticate) are added by the document.
   */
  headers?: Record<string, ResponseHeaderSpec>;
}

interface ResponseHeaderSpec {
  description: string;
  schema: z.ZodType;
  /** Sent with every response of this status (default), or only sometimes. */
  required?: boolean;
}

interface HeaderSpec {
  name: string;
  description: string;
  schema: z.ZodType;
}

/** A route's contract: validated on every request and rendered into OpenAPI. */
export interface RouteDoc<P = any, Q = any, B = any> {
  method: Method;
  /** OpenAPI form: `/generations/{id}`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  access: Access;
  /**
   * The handler authenticates inside its own statement (`ctx.key`), so the request costs one round
   * trip instead of two. Inputs are validated before any database work; when they are invalid the
   * key is checked first anyway, so 401, 429 and 403 still come before 400.
   */
  keyInStatement?: boolean;
  /** False for the routes that must answer while the schema is behind (health, the document). */
  gated?: boolean;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  requestHeaders?: HeaderSpec[];
  /** Success responses; problem responses are added from access, inputs and gating. */
  responses: Record<number, ResponseSpec>;
}

/**
 * One route of the JSON API: its contract and its handler. Handlers are thin: they call a use case
 * or a store and shape the reply; errors are AppError values thrown to the edge, which maps them
 * once.
 */
export interface RouteSpec<P = any, Q = any, B = any> extends RouteDoc<P, Q, B> {
  handler(ctx: RouteContext<P, Q, B>): Promise<Reply>;
}

export function route<P = undefined, Q = undefined, B = undefined>(
  spec: RouteSpec<P, Q, B>,
): RouteSpec<P, Q, B> {
  return spec;
}

/** `/generations/{id}` → `/generations/:id` for the router. */
export const routerPath = (path: string) => path.replace(/\{([^}]+)\}/g, ':$1');
