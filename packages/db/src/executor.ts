import type { Db } from './drivers/types.ts';

/** A database or an open transaction: stores accept either so use cases compose one transaction. */
export type Executor = Db;

/** Rows of `db.execute`, whatever the driver (node-postgres, PGlite and Neon all expose `.rows`). */
export async function rowsOf<T>(result: Promise<unknown>): Promise<T[]> {
  const r = (await result) as { rows?: T[] };
  return r.rows ?? [];
}

export const toDate = (v: unknown): Date => (v instanceof Date ? v : new Date(String(v)));
export const toNumber = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
