import { MAX_API_KEY_NAME_LENGTH, MAX_SETTING_KEY_LENGTH } from '@genledger/core/contracts/limits';
import { sql } from 'drizzle-orm';
import {
  boolean,
  char,
  check,
  index,
  integer,
  jsonb,
  type PgSchema,
  text,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { ts } from './columns.ts';
import { KEY_PREFIX_LENGTH, SHA256_HEX_LENGTH } from './limits.ts';

/** API keys and runtime settings. */
export function keyTables(s: PgSchema) {
  const apiKeys = s.table(
    'api_keys',
    {
      id: uuid('id').primaryKey(),
      name: varchar('name', { length: MAX_API_KEY_NAME_LENGTH }).notNull(),
      keyHash: char('key_hash', { length: SHA256_HEX_LENGTH }).notNull(),
      keyPrefix: varchar('key_prefix', { length: KEY_PREFIX_LENGTH }).notNull(),
      isAdmin: boolean('is_admin').notNull().default(false),
      rateLimit: integer('rate_limit').notNull().default(100),
      createdAt: ts('created_at').notNull().defaultNow(),
      lastUsedAt: ts('last_used_at'),
      expiresAt: ts('expires_at'),
      revokedAt: ts('revoked_at'),
      rateWindowStart: ts('rate_window_start'),
      rateWindowCount: integer('rate_window_count').notNull().default(0),
      // The key's default webhook signing secret (encrypted like an endpoint's), made on first use.
      webhookSecret: text('webhook_secret'),
    },
    (t) => [
      uniqueIndex('api_keys_key_hash_uq').on(t.keyHash),
      index('api_keys_key_prefix_idx').on(t.keyPrefix),
      check('api_keys_rate_limit_ck', sql`${t.rateLimit} > 0`),
    ],
  );
  const settings = s.table('settings', {
    key: varchar('key', { length: MAX_SETTING_KEY_LENGTH }).primaryKey(),
    value: jsonb('value').notNull(),
    updatedAt: ts('updated_at').notNull().defaultNow(),
  });

  return { apiKeys, settings };
}
