import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HMAC-SHA256 of `body` under `secret`, labelled: the label ("session", "csrf") keeps a MAC made
 * for one purpose from ever verifying as the other.
 */
export const mac = (secret: string, label: string, body: string) =>
  createHmac('sha256', secret).update(`${label}\0${body}`).digest();

/** Constant-time equality of two MACs or tokens. */
export function equal(a: Buffer, b: Buffer) {
  return a.length === b.length && timingSafeEqual(a, b);
}
