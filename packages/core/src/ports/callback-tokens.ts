/** What a callback URL's token says, before the database is asked anything. */
export type OpenedCallbackToken =
  /** Minted by this deployment (its MAC verifies) for this attempt; the database proves it is current. */
  | { version: 2; generationId: string; attempt: number }
  /**
   * Shaped as a v2 token, but its MAC does not verify under the current key: minted under a
   * previous `CursorSecret`, or forged. Looked up by its hash like a legacy token: the lookup proves
   * the one and finds nothing for the other.
   */
  | { version: 'unverified' }
  /** A spelling no token has (a v2 token's spare bits set): not found, nothing asked. */
  | { version: 'forged' }
  /** Not shaped as a v2 token (tokens minted before them are random): looked up by its hash. */
  | { version: 1 };

/**
 * Mints and opens callback tokens (docs/backends.md#callback-tokens). Built in wiring from the
 * deployment's secret, so core holds no key: the worker mints, the callback route opens.
 */
export interface CallbackTokens {
  /** A new token for this attempt and the SHA-256 (hex) stored for it. */
  mint(generationId: string, attempt: number): { token: string; hash: string };
  open(token: string): OpenedCallbackToken;
}
