import { createHmac } from 'node:crypto';

/**
 * A key for one purpose derived from the cursor secret (CURSOR_SECRET, or what is derived from
 * DATABASE_URL): every instance of a deployment agrees on it with no extra secret to manage, and
 * what one purpose signs can never pass for another's (a session cookie as a cursor, a link as a
 * callback token).
 */
export const derivedKey = (cursorSecret: string, purpose: string): Buffer =>
  createHmac('sha256', cursorSecret).update(`genledger-${purpose}`).digest();
