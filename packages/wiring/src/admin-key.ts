import type { Database } from '@genledger/db/connect';
import { storesOf } from './stores.ts';

export interface AdminKeyOutcome {
  key: string;
  prefix: string;
  created: boolean;
  usable: boolean;
}

/**
 * ADMIN_API_KEY made present as an admin key (stored as its hash), or, when `createIfNone` and no
 * usable admin exists, a fresh one to show once. Used by the migration function and `npm start`.
 */
export async function ensureAdminKey(
  database: Database,
  adminApiKey: string | undefined,
  options: { createIfNone?: { source: string } } = {},
): Promise<AdminKeyOutcome | undefined> {
  const keys = storesOf(database).apiKeys;
  if (adminApiKey) {
    const ensured = await keys.ensureAdminKey(adminApiKey);
    return {
      key: adminApiKey,
      prefix: ensured.summary.prefix,
      created: ensured.created,
      usable: ensured.usable,
    };
  }
  if (!options.createIfNone || (await keys.hasUsableAdmin())) return undefined;
  const { summary, key } = await keys.create(
    { name: 'local admin (first start)', isAdmin: true },
    { source: options.createIfNone.source },
  );
  return { key, prefix: summary!.prefix, created: true, usable: true };
}
