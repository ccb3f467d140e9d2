import { createHash, randomBytes } from 'node:crypto';

/**
 * API keys look like `gl_<prefix>_<secret>`: the 8-character prefix is public (stored, logged,
 * indexed), the 43-character secret carries 256 bits of entropy. Only the SHA-256 hex of the
 * whole key is stored, so a database leak reveals no usable key. A key of another shape (an
 * operator's ADMIN_API_KEY) gets a prefix derived from its hash, so nothing of it is ever shown.
 */
const KEY_PATTERN = /^gl_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{20,200})$/;
const ALPHANUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Longest bearer token looked at: anything longer is rejected before any database work. */
export const MAX_KEY_LENGTH = 256;
export const MIN_ADMIN_KEY_LENGTH = 32;

export const hashKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

export function prefixOf(key: string, hash = hashKey(key)): string {
  const m = KEY_PATTERN.exec(key);
  return m ? m[1]! : `h${hash.slice(0, 7)}`;
}

export function generateKey(): { key: string; prefix: string } {
  const bytes = randomBytes(8);
  let prefix = '';
  for (const b of bytes) prefix += ALPHANUM[b % ALPHANUM.length];
  return { key: `gl_${prefix}_${randomBytes(32).toString('base64url')}`, prefix };
}
