import { notFound, unavailable } from '@genledger/core/errors';
import type { IncomingCallback } from '@genledger/core/ports/backend';
import { GeneratorError } from '@genledger/core/ports/generator';
import type { Handler } from 'hono';
import * as z from 'zod';
import type { ApiEnv } from '../middleware/env.ts';
import type { RouteDoc } from './define.ts';

/** A backend's callback about one attempt, settled by the worker's rules (docs/backends.md). */
export type AcceptCallback = (token: string, callback: IncomingCallback) => Promise<{ settled: string }>;

/**
 * Cog posts the prediction with its outputs inline as data URLs: the body may be several MB, up to
 * what a Lambda invocation can carry.
 */
export const CALLBACK_MAX_BYTES = 6 * 1024 * 1024;

const CallbackReceipt = z.object({
  settled: z.enum(['completed', 'failed', 'retrying', 'running', 'ignored']),
});

export const callbackRoute: RouteDoc = {
  method: 'post',
  path: '/callbacks/{token}',
  operationId: 'backendCallback',
  summary: "An asynchronous backend's report on an attempt (Cog and Replicate webhooks)",
  tag: 'backends',
  // The URL's token is the credential: each attempt gets its own, stored hashed. Replicate's
  // callbacks also carry a Standard Webhooks signature, which is verified.
  access: 'public',
  params: z.object({ token: z.string().min(20).max(100) }),
  responses: {
    200: {
      description: 'Accepted; `ignored` when the attempt had already ended (nothing written)',
      schema: CallbackReceipt,
    },
    401: { description: 'The signature does not verify' },
    404: { description: 'No attempt has this callback URL' },
    413: { description: 'Body larger than 6 MB' },
    503: { description: 'The outputs could not be fetched now; call back again' },
  },
};

/** The route's handler: the raw body (a signature covers its exact bytes) to the use case. */
export function serveCallback(accept: AcceptCallback | undefined): Handler<ApiEnv> {
  return async (c) => {
    const token = c.req.param('token') ?? '';
    if (!accept || !callbackRoute.params?.safeParse({ token }).success)
      throw notFound('no attempt has this callback URL');
    const body = c.get('bodyText') ?? (await c.req.text());
    const headers = Object.fromEntries(c.req.raw.headers.entries());
    try {
      const { settled } = await accept(token, { headers, body });
      return c.json({ settled }, 200);
    } catch (e) {
      // A fetch of the outputs that failed: the backend calls back again (Cog and Replicate retry).
      if (e instanceof GeneratorError && e.transient) throw unavailable(e.message, e);
      throw e;
    }
  };
}
