import type { Owner } from '@genledger/core/ports/principal';
import { type SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';

/** The tables the generation store writes, bound to its schema. */
export interface GenerationTables {
  generations: PgTable;
  runs: PgTable;
}

/** What an owner may see: any generation for an admin, another key its own. */
export function ownerFilter(owner: Owner): SQL {
  return owner.admin ? sql`true` : sql`api_key_id = ${owner.apiKeyId}`;
}
