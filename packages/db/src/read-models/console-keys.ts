import type { ConsoleKey, ConsoleKeyReads } from '@genledger/core/ports/console-read-model';
import { sql } from 'drizzle-orm';
import type { ReadScope } from './read-scope.ts';

/** The console's view of API keys: the session's key on every request, and names for "who" columns. */
export class ConsoleKeyQueries implements ConsoleKeyReads {
  constructor(private readonly scope: ReadScope) {}

  async activeKey(id: string): Promise<ConsoleKey | undefined> {
    // A session names its key by id; anything else never reaches the uuid column.
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const [r] = await this.scope.rows(sql`
      select id, name, key_prefix, is_admin from ${this.scope.tables.apiKeys}
      where id = ${id} and revoked_at is null and (expires_at is null or expires_at > now())`);
    return (
      r && {
        id: String(r.id),
        name: String(r.name),
        prefix: String(r.key_prefix),
        isAdmin: Boolean(r.is_admin),
      }
    );
  }

  async keyNames(): Promise<Map<string, string>> {
    const rows = await this.scope.rows(sql`select id, name, key_prefix from ${this.scope.tables.apiKeys}`);
    return new Map(rows.map((r) => [String(r.id), `${r.name} (${r.key_prefix})`]));
  }
}
