import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '@genledger/core/errors';
import journal from '../../../migrations/meta/_journal.json' with { type: 'json' };

import { GENERATED_SCHEMA } from './schema/tables.ts';

export { GENERATED_SCHEMA };

export interface MigrationFile {
  tag: string;
  /** drizzle's `folderMillis`: the ordering key stored in the migrations table. */
  createdAt: number;
  hash: string;
  statements: string[];
}

/** The newest migration this code expects, known at build time (the journal is bundled). */
export const LATEST_MIGRATION = (() => {
  const last = journal.entries.at(-1);
  if (!last) throw new Error('migrations/meta/_journal.json lists no migration');
  return { tag: last.tag, createdAt: last.when, count: journal.entries.length };
})();

/**
 * Where the SQL files are: `MIGRATIONS_DIR`, then `./migrations` in the working directory (the
 * Lambda task root, where the deploy copies them), then the repository's own folder.
 */
export function migrationsDirectory(explicit?: string): string {
  const candidates = [
    explicit,
    process.env.MIGRATIONS_DIR,
    resolve('migrations'),
    join(dirname(fileURLToPath(import.meta.url)), '../../../migrations'),
  ].filter((c): c is string => typeof c === 'string' && c.length > 0);
  const found = candidates.find((c) => existsSync(join(c, 'meta', '_journal.json')));
  if (!found) {
    throw new AppError(
      'configuration',
      `MIGRATIONS_DIR: no migrations/meta/_journal.json in ${candidates.join(', ')}`,
    );
  }
  return found;
}

export function readMigrations(dir = migrationsDirectory()): MigrationFile[] {
  const meta = JSON.parse(readFileSync(join(dir, 'meta', '_journal.json'), 'utf8')) as typeof journal;
  return meta.entries.map((entry) => {
    const text = readFileSync(join(dir, `${entry.tag}.sql`), 'utf8');
    return {
      tag: entry.tag,
      createdAt: entry.when,
      // Same hash drizzle's own migrator records, so drizzle-kit tooling agrees with ours.
      hash: createHash('sha256').update(text).digest('hex'),
      statements: text
        .split('--> statement-breakpoint')
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    };
  });
}

/** Points generated SQL at another schema: `"genledger".` → `"<schema>".` */
export function forSchema(statement: string, schema: string): string {
  if (schema === GENERATED_SCHEMA)
    return statement.replace(/^CREATE SCHEMA "genledger";?$/m, 'CREATE SCHEMA IF NOT EXISTS "genledger"');
  return statement
    .replace(/^CREATE SCHEMA "genledger";?$/m, `CREATE SCHEMA IF NOT EXISTS "${schema}"`)
    .replaceAll(`"${GENERATED_SCHEMA}".`, `"${schema}".`);
}
