import type { SQL } from 'drizzle-orm';
import type { Database } from '../connect.ts';
import { rowsOf } from '../executor.ts';
import { type Tables, tablesFor } from '../schema/tables.ts';

type Row = Record<string, unknown>;

/** What every read model reads through: one database, its schema's tables, rows as the driver hands them. */
export class ReadScope {
  readonly tables: Tables;

  constructor(readonly database: Pick<Database, 'db' | 'schema'>) {
    this.tables = tablesFor(database.schema);
  }

  rows<R = Row>(statement: SQL): Promise<R[]> {
    return rowsOf<R>(this.database.db.execute(statement));
  }
}
