import type { MiddlewareHandler } from 'hono';
import { EdgeProblemError, edgeProblem } from '../problem.ts';
import type { ApiEnv } from './env.ts';

/**
 * Refuses bodies over `maxBytes` (413) before authentication or parsing. A declared Content-Length
 * is judged without touching the body, so the body is later read as plain bytes (@hono/node-server
 * then skips building a web stream, which cost a third of a POST's CPU); a chunked body is read
 * here, up to the limit and no further, and handed on as `bodyText`. (Hono's own `bodyLimit` reads
 * `c.req.raw.body` first, which is exactly what builds that stream.)
 */
export function limitBody(maxBytes: number): MiddlewareHandler<ApiEnv> {
  const tooLarge = () =>
    new EdgeProblemError(edgeProblem('payload-too-large', `the body must be at most ${maxBytes} bytes`));
  return async function limitBody(c, next) {
    const declared = c.req.header('content-length');
    if (declared !== undefined && c.req.header('transfer-encoding') === undefined) {
      if (Number(declared) > maxBytes) throw tooLarge();
      return next();
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
      if (size > maxBytes) {
        await reader.cancel();
        throw tooLarge();
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
}
