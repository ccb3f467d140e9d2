import type { MiddlewareHandler } from 'hono';

/**
 * Only scripts, styles and images of this origin, no framing, no referrer: the console shows
 * operational data and acts on it. Images may also come from https: (generator outputs by URL).
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' https: data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

/** The headers every console response carries, whatever answered it. */
export const securityHeaders: MiddlewareHandler = async (c, next) => {
  await next();
  c.res.headers.set('Content-Security-Policy', CSP);
  c.res.headers.set('X-Content-Type-Options', 'nosniff');
  c.res.headers.set('X-Frame-Options', 'DENY');
  // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` on form posts.
  c.res.headers.set('Referrer-Policy', 'same-origin');
};
