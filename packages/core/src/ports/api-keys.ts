import type { Principal } from './principal.ts';

export interface ApiKeySummary {
  id: string;
  name: string;
  prefix: string;
  isAdmin: boolean;
  rateLimit: number;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

export interface NewApiKey {
  name: string;
  isAdmin?: boolean;
  rateLimit?: number;
  expiresAt?: Date | null;
}

/** A bearer key as the database looks it up: its public prefix and its SHA-256. */
export interface KeyCheck {
  prefix: string;
  hash: string;
}

/**
 * A request's key check, to be run inside the statement of the store that does the request's work
 * (one round trip instead of two). Opaque outside the store that made it: the API hands it from
 * `ApiKeys.gate` to a store's `…As` method and never looks inside.
 */
export interface KeyGate {
  readonly check: KeyCheck;
  readonly adminOnly: boolean;
}

/** API keys: authentication with its rate limit, and the admin routes' operations. */
export interface ApiKeys {
  /** The key's principal, counted against its rate limit; 401 (AppError) when not usable. */
  authenticate(key: string | KeyCheck): Promise<Principal>;
  gate(key: string | KeyCheck, adminOnly: boolean): KeyGate;
  /**
   * The key's prefix and SHA-256, or 401 (AppError) for a key no stored key can match. A request
   * hashes its key once: the check is what `authenticate`, `gate` and the key's lane take.
   */
  check(key: string): KeyCheck;
  /** Creates a key; the plaintext is returned once and stored only as its SHA-256. */
  create(
    input: NewApiKey,
    metadata?: Record<string, unknown>,
  ): Promise<{ summary: ApiKeySummary | undefined; key: string }>;
  list(): Promise<ApiKeySummary[]>;
  revoke(id: string, metadata?: Record<string, unknown>): Promise<ApiKeySummary>;
}
