import { randomBytes } from 'node:crypto';
import { equal, mac } from './hmac.ts';

/**
 * Console sessions: a signed, expiring cookie that holds the API key's id — never the key. The
 * key is exchanged once at sign-in; every later request re-reads the key's row, so a revoked or
 * expired key ends its sessions at once, and admin rights follow the key, not the cookie.
 *
 * Cookie value: base64url(JSON payload) "." base64url(HMAC-SHA256(secret, "session\0" + body)).
 */
export const SESSION_COOKIE = 'gl_console';
export const SESSION_TTL_SECONDS = 8 * 60 * 60;

export interface SessionPayload {
  /** API key id. */
  k: string;
  /** Issued and expiry times, epoch seconds. */
  iat: number;
  exp: number;
  /** Random per session: the CSRF token derives from it. */
  n: string;
}

export function signSession(secret: string, payload: SessionPayload): string {
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return `${body}.${mac(secret, 'session', body).toString('base64url')}`;
}

export function newSession(
  keyId: string,
  now = Date.now(),
  ttlSeconds = SESSION_TTL_SECONDS,
): SessionPayload {
  const iat = Math.floor(now / 1000);
  return { k: keyId, iat, exp: iat + ttlSeconds, n: randomBytes(16).toString('base64url') };
}

/** The payload of a cookie this server signed and that has not expired; undefined otherwise. */
export function verifySession(
  secret: string,
  value: string | undefined,
  now = Date.now(),
): SessionPayload | undefined {
  if (!value || value.length > 1000) return undefined;
  const dot = value.indexOf('.');
  if (dot <= 0) return undefined;
  const body = value.slice(0, dot);
  if (!equal(Buffer.from(value.slice(dot + 1), 'base64url'), mac(secret, 'session', body))) return undefined;
  let p: Partial<SessionPayload>;
  try {
    p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof p.k !== 'string' || typeof p.exp !== 'number' || typeof p.n !== 'string') return undefined;
  if (p.exp * 1000 <= now) return undefined;
  return p as SessionPayload;
}

/**
 * Secure everywhere except plain HTTP on a loopback host (`npm start`), where a browser would
 * drop a Secure cookie.
 */
export function cookieIsSecure(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  return !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

export function sessionCookie(value: string, url: URL, maxAgeSeconds: number): string {
  const parts = [
    `${SESSION_COOKIE}=${value}`,
    'Path=/console',
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (cookieIsSecure(url)) parts.push('Secure');
  return parts.join('; ');
}
