import { pgSchema } from 'drizzle-orm/pg-core';
import { eventTables } from './events.ts';
import { failedMessageTables } from './failed-messages.ts';
import { generationTables } from './generations.ts';
import { keyTables } from './keys.ts';
import { webhookAttemptTables } from './webhook-attempts.ts';
import { webhookTables } from './webhooks.ts';

/** The schema name drizzle-kit generates with; the migrator rewrites it to the configured one. */
export const GENERATED_SCHEMA = 'genledger';

/**
 * Every table of one deployment, bound to a Postgres schema chosen at run time (`DB_SCHEMA`).
 * drizzle-kit generates the migrations from the default schema (`genledger`); the migrator
 * rewrites that name, so two deployments can share one database without touching each other.
 */
export function defineTables(schemaName: string) {
  const s = pgSchema(schemaName);
  const keys = keyTables(s);
  const webhooks = webhookTables(s, keys);
  return {
    schema: s,
    ...keys,
    ...generationTables(s, keys),
    ...eventTables(s),
    ...failedMessageTables(s),
    ...webhooks,
    ...webhookAttemptTables(s, webhooks),
  };
}

export type Tables = ReturnType<typeof defineTables>;

const cache = new Map<string, Tables>();
export function tablesFor(schemaName: string): Tables {
  let t = cache.get(schemaName);
  if (!t) {
    t = defineTables(schemaName);
    cache.set(schemaName, t);
  }
  return t;
}

/**
 * Some schema's tables, for what depends on the columns alone (the row decoders): the first schema
 * this process bound, so decoding builds no second set of tables beside the configured schema's
 * (every schema has the same columns), or the generated one's when none is bound yet.
 */
export function columnTables(): Tables {
  for (const bound of cache.values()) return bound;
  return tablesFor(GENERATED_SCHEMA);
}
