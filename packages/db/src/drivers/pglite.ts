import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle } from 'drizzle-orm/pglite';
import type { DbConfig } from '../config.ts';
import type { Db, OpenedDriver } from './types.ts';

export function pgliteDirectory(config: DbConfig): string {
  return config.dataDir.startsWith('memory://') ? config.dataDir : join(config.dataDir, 'pglite');
}

export async function openPglite(config: DbConfig): Promise<OpenedDriver> {
  // An instance opened by someone else: served as it is, and left open for its owner to close.
  if (config.pglite)
    return { db: drizzle({ client: config.pglite }) as unknown as Db, close: async () => {} };
  const dir = pgliteDirectory(config);
  if (!dir.startsWith('memory://')) mkdirSync(dir, { recursive: true });
  const client = await PGlite.create(dir);
  const db = drizzle({ client }) as unknown as Db;
  return { db, close: () => client.close() };
}
