import { type AppError, type ErrorKind, type FieldError, HTTP_STATUS } from '@genledger/core/errors';
import * as z from 'zod';

/** RFC 9457 problem details, the one error shape of the API. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int().min(400).max(599),
  detail: z.string(),
  instance: z.string().optional(),
  requestId: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});
export type Problem = z.infer<typeof Problem>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * Every AppError kind's problem: its status from core's one table (`HTTP_STATUS`), a title and a
 * type. (422 would split "well-formed but invalid" from "malformed" for no benefit to the
 * caller.) `configuration` is a server fault: its detail is never shown.
 */
const BY_KIND: Record<ErrorKind, { title: string; slug: string }> = {
  validation: { title: 'Invalid request', slug: 'validation' },
  unauthorized: { title: 'Unauthorized', slug: 'unauthorized' },
  forbidden: { title: 'Forbidden', slug: 'forbidden' },
  'not-found': { title: 'Not found', slug: 'not-found' },
  conflict: { title: 'Conflict', slug: 'conflict' },
  'rate-limited': { title: 'Too many requests', slug: 'rate-limited' },
  unavailable: { title: 'Service unavailable', slug: 'unavailable' },
  configuration: { title: 'Internal server error', slug: 'internal' },
};

/** Problems raised at the edge itself, before any use case runs. */
const EDGE = {
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  internal: { status: 500, title: 'Internal server error' },
} as const;
export type EdgeProblem = keyof typeof EDGE;

const typeUri = (slug: string) => `https://genledger.dev/problems/${slug}`;

export function problemFromAppError(e: AppError): Problem {
  const m = BY_KIND[e.kind];
  const internal = e.kind === 'configuration';
  return {
    type: typeUri(m.slug),
    title: m.title,
    status: HTTP_STATUS[e.kind],
    detail: internal ? 'an unexpected error occurred; quote the request id when reporting it' : e.message,
    ...(e.fieldErrors.length > 0 ? { errors: e.fieldErrors } : {}),
  };
}

export function edgeProblem(kind: EdgeProblem, detail: string, errors?: FieldError[]): Problem {
  const m = EDGE[kind];
  return { type: typeUri(kind), title: m.title, status: m.status, detail, ...(errors ? { errors } : {}) };
}

/** A problem raised at the edge (wrong media type, say), answered as it is by the app's error handler. */
export class EdgeProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
    this.name = 'EdgeProblemError';
  }
}
