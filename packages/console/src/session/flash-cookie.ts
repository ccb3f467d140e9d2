import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { getCookie } from 'hono/cookie';
import type { ConsoleContext } from '../env.ts';
import { cookieIsSecure } from './session-cookie.ts';

/**
 * One-time messages after a POST (post/redirect/get): the outcome of an action, or a new API key's
 * plaintext. They travel in a cookie sealed with AES-256-GCM under a key derived from the session
 * secret and bound to the session, never in a URL: a crafted link cannot put words in the
 * console's banners, a reload after "Create key" shows nothing new and creates nothing, and the
 * secret is never written to the database or a log. The next full page shows it and clears it.
 */
const FLASH_COOKIE = 'gl_flash';
const FLASH_TTL_SECONDS = 120;

export interface FlashMessage {
  kind: 'ok' | 'error';
  text: string;
  /** A new API key, shown once. */
  created?: { name: string; key: string };
  /** An archive or a resolve that can still be undone while the notice is up: the operation that undoes it. */
  undo?: { op: 'unarchive' | 'reopen'; ids: string[]; back: string };
}

const keyOf = (secret: string) => createHash('sha256').update(`genledger-console-flash\0${secret}`).digest();

function seal(secret: string, nonce: string, message: FlashMessage, now: number): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyOf(secret), iv);
  cipher.setAAD(Buffer.from(nonce));
  const plain = JSON.stringify({ m: message, exp: Math.floor(now / 1000) + FLASH_TTL_SECONDS });
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

function unseal(secret: string, nonce: string, value: string, now: number): FlashMessage | undefined {
  try {
    const raw = Buffer.from(value, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', keyOf(secret), raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(nonce));
    decipher.setAuthTag(raw.subarray(12, 28));
    const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    const { m, exp } = JSON.parse(plain) as { m: FlashMessage; exp: number };
    return exp * 1000 > now ? m : undefined;
  } catch {
    return undefined;
  }
}

function flashCookie(value: string, url: URL, maxAge: number) {
  const parts = [
    `${FLASH_COOKIE}=${value}`,
    'Path=/console',
    `Max-Age=${maxAge}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (cookieIsSecure(url)) parts.push('Secure');
  return parts.join('; ');
}

/** Leaves a message for the next page this session shows (call before the redirect). */
export function setFlash(c: ConsoleContext, secret: string, message: FlashMessage, now = Date.now()) {
  const value = seal(secret, c.get('session').n, message, now);
  c.header('Set-Cookie', flashCookie(value, new URL(c.req.url), FLASH_TTL_SECONDS), { append: true });
}

/** The message left for this page, if any, cleared as it is read: it shows once. */
export function takeFlash(c: ConsoleContext, secret: string, now = Date.now()): FlashMessage | undefined {
  const value = getCookie(c, FLASH_COOKIE);
  const session = c.get('session');
  if (!value || !session) return undefined;
  c.header('Set-Cookie', flashCookie('', new URL(c.req.url), 0), { append: true });
  return unseal(secret, session.n, value, now);
}
