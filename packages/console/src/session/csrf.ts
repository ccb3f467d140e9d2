import { equal, mac } from './hmac.ts';
import type { SessionPayload } from './session-cookie.ts';

/**
 * A state change must come from this origin: the Origin header (sent by browsers on every POST)
 * must match and Sec-Fetch-Site must not name another site; once signed in, the session's CSRF
 * token must be in the form or header too. The token is HMAC(secret, "csrf\0" + the session's
 * nonce): bound to the session, nothing stored server-side.
 */
export const csrfToken = (secret: string, session: SessionPayload) =>
  mac(secret, 'csrf', session.n).toString('base64url');

export function csrfValid(secret: string, session: SessionPayload, given: string | undefined): boolean {
  if (!given || given.length > 200) return false;
  return equal(Buffer.from(given, 'utf8'), Buffer.from(csrfToken(secret, session), 'utf8'));
}

export function sameOrigin(c: { req: { header(n: string): string | undefined; url: string } }): boolean {
  const origin = c.req.header('origin');
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return false;
  return !origin || origin === new URL(c.req.url).origin;
}
