import type { GenerationFilter } from '@genledger/core/ports/generations';
import type { Owner } from '@genledger/core/ports/principal';
import { type SQL, sql } from 'drizzle-orm';

/**
 * The `where` of a generations search (columns of `generations`, unqualified), scoped to the
 * caller: a non-admin key only ever matches its own rows. The list and its count share it, so the
 * count is always the count of what the list pages through.
 */
export function generationFilterSql(owner: Owner, f: GenerationFilter): SQL {
  const parts: SQL[] = [owner.admin ? sql`true` : sql`api_key_id = ${owner.apiKeyId}::uuid`];
  if (f.statuses && f.statuses.length > 0) {
    parts.push(
      sql`status in (${sql.join(
        f.statuses.map((s) => sql`${s}`),
        sql`, `,
      )})`,
    );
  }
  if (f.model !== undefined) parts.push(sql`model = ${f.model}`);
  if (f.from) parts.push(sql`created_at >= ${f.from.toISOString()}::timestamptz`);
  if (f.to) parts.push(sql`created_at < ${f.to.toISOString()}::timestamptz`);
  // websearch_to_tsquery never fails on user input ("a OR -b", unbalanced quotes), unlike to_tsquery.
  if (f.q !== undefined) parts.push(sql`search @@ websearch_to_tsquery('english', ${f.q})`);
  return sql.join(parts, sql` and `);
}
