import type { MiddlewareHandler } from 'hono';
import { compress } from 'hono/compress';
import { COMPRESSIBLE_CONTENT_TYPE_REGEX } from 'hono/utils/compress';
import type { ApiEnv } from './env.ts';

const NO_TRANSFORM = /(?:^|,)\s*?no-transform\s*?(?:,|$)/i;
const VARIES_ON_ENCODING = /(?:^|,)\s*accept-encoding\s*(?:,|$)/i;
/** hono/compress's default: a body with a Content-Length below it goes as it is. */
const THRESHOLD = 1024;

/**
 * Hono's compress, with a fast path for a request that sends no Accept-Encoding (which compress
 * answers uncompressed, only adding `Vary: Accept-Encoding` to what it would compress for others).
 * compress adds that Vary with `c.header` on the finished response, which makes Hono rebuild it
 * and @hono/node-server turn it into a web Response with a body stream, read back chunk by chunk:
 * about a tenth of a JSON request's CPU. Here the same Vary goes onto the response's own headers,
 * by compress's own rules (hono/dist/middleware/compress), and the response stays as it was.
 */
export function compression(): MiddlewareHandler<ApiEnv> {
  const honoCompress = compress();
  return async function compression(c, next) {
    if (c.req.header('accept-encoding') !== undefined) return honoCompress(c, next);
    await next();
    if (c.req.method === 'HEAD' || c.res.status === 206) return;
    const headers = c.res.headers;
    const length = headers.get('Content-Length');
    if (headers.has('Content-Encoding') || headers.has('Transfer-Encoding')) return;
    if (length && Number(length) < THRESHOLD) return;
    const type = headers.get('Content-Type');
    if (!type || !COMPRESSIBLE_CONTENT_TYPE_REGEX.test(type)) return;
    if (NO_TRANSFORM.test(headers.get('Cache-Control') ?? '')) return;
    const vary = headers.get('Vary');
    if (vary === '*' || (vary && VARIES_ON_ENCODING.test(vary))) return;
    const value = vary ? `${vary}, Accept-Encoding` : 'Accept-Encoding';
    try {
      headers.set('Vary', value);
    } catch {
      c.header('Vary', value); // an immutable Response (a fetch's, a redirect's): rebuilt as compress does
    }
  };
}
