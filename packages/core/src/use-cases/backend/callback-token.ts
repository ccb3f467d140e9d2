import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CallbackTokens, OpenedCallbackToken } from '../../ports/callback-tokens.ts';

/**
 * An attempt's callback URL carries a token of its own, stored only as its SHA-256, like API keys.
 * A v2 token is `base64url(generation id (16 bytes) | attempt (uint32 BE) | nonce (16 random bytes)
 * | HMAC-SHA256(key, the first 36 bytes) truncated to 16 bytes)`: 52 bytes, 70 characters. A MAC
 * that verifies proves it was minted under the current key before the database is asked, so it
 * names the attempt the one completing statement looks up (with the hash, which proves it is still
 * the attempt's token). One that does not is looked up by its hash, as a legacy token is: a token
 * minted under the previous key still settles after the key rotates (docs/backends/README.md#callback-tokens).
 */
const ID_BYTES = 16;
const SIGNED_BYTES = ID_BYTES + 4 + 16;
const MAC_BYTES = 16;
const TOKEN_CHARS = Math.ceil(((SIGNED_BYTES + MAC_BYTES) * 4) / 3);
const TOKEN = new RegExp(`^[A-Za-z0-9_-]{${TOKEN_CHARS}}$`);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const callbackTokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** The callback route's path for a token, under the API's public URL. */
export const callbackPath = (token: string) => `/callbacks/${token}`;

const uuidOf = (hex: string) =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

/** Tokens signed with `key` (wiring derives it from the deployment's secret). */
export function callbackTokenCodec(key: Uint8Array): CallbackTokens {
  const mac = (signed: Uint8Array) =>
    createHmac('sha256', key).update(signed).digest().subarray(0, MAC_BYTES);
  return {
    mint(generationId, attempt) {
      if (!UUID.test(generationId) || !Number.isInteger(attempt) || attempt < 0 || attempt > 0xffffffff)
        throw new Error('a callback token names a generation (uuid) and an attempt (uint32)');
      const signed = Buffer.alloc(SIGNED_BYTES);
      Buffer.from(generationId.replaceAll('-', ''), 'hex').copy(signed, 0);
      signed.writeUInt32BE(attempt, ID_BYTES);
      randomBytes(16).copy(signed, ID_BYTES + 4);
      const token = Buffer.concat([signed, mac(signed)]).toString('base64url');
      return { token, hash: callbackTokenHash(token) };
    },
    open(token): OpenedCallbackToken {
      if (!TOKEN.test(token)) return { version: 1 };
      const bytes = Buffer.from(token, 'base64url');
      // The last character's spare bits must be zero: one token, one spelling.
      if (bytes.length !== SIGNED_BYTES + MAC_BYTES || bytes.toString('base64url') !== token)
        return { version: 'forged' };
      const signed = bytes.subarray(0, SIGNED_BYTES);
      if (!timingSafeEqual(mac(signed), bytes.subarray(SIGNED_BYTES))) return { version: 'unverified' };
      return {
        version: 2,
        generationId: uuidOf(signed.subarray(0, ID_BYTES).toString('hex')),
        attempt: signed.readUInt32BE(ID_BYTES),
      };
    },
  };
}
