import { createHash, randomBytes } from 'node:crypto';

/**
 * An attempt's callback URL carries a token of its own: 256 random bits, stored only as its
 * SHA-256, like API keys. A callback proves which attempt it reports on by knowing the token.
 */
export function newCallbackToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: callbackTokenHash(token) };
}

export const callbackTokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** The callback route's path for a token, under the API's public URL. */
export const callbackPath = (token: string) => `/callbacks/${token}`;
