import type { GenerationRecord } from '@genledger/core/contracts/generation';
import type { KeyGate } from '@genledger/core/ports/api-keys';
import type { Owner, Principal } from '@genledger/core/ports/principal';
import { sql } from 'drizzle-orm';
import { gatedStatement, type KeyAuthRow, principalOf } from '../api-key-store/gate.ts';
import { type Executor, rowsOf } from '../executor.ts';
import { uuidArray } from '../sql-arrays.ts';
import { type GenerationTables, ownerFilter } from './context.ts';
import { GENERATION_COLUMNS, type GenerationRow, toGenerationRecord } from './row.ts';

/** `getAs`'s statement, compiled once per store and kind of gate. */
export const getAsStatement = () => gatedStatement<{ prefix: string; hash: string; id: string }>('gl_get_as');
type GetAsStatement = ReturnType<typeof getAsStatement>;

export async function getGeneration(
  tx: Executor,
  t: GenerationTables,
  id: string,
  owner: Owner = { admin: true },
): Promise<GenerationRecord | undefined> {
  const [row] = await rowsOf<GenerationRow>(
    tx.execute(
      sql`select ${GENERATION_COLUMNS} from ${t.generations} where id = ${id} and ${ownerFilter(owner)}`,
    ),
  );
  return row && toGenerationRecord(row);
}

/**
 * `get` for the caller of a bearer key, authentication included (one statement): an admin key
 * sees any generation, another key its own. `generation` is undefined when there is none to see.
 */
export async function getGenerationAs(
  db: Executor,
  t: GenerationTables,
  getAsStatement: GetAsStatement,
  id: string,
  gate: KeyGate,
): Promise<{ principal: Principal; generation?: GenerationRecord }> {
  const statement = getAsStatement(
    gate,
    (ctes, v) => sql`
        with ${ctes}, g as (
          select ${GENERATION_COLUMNS} from ${t.generations} x
          where x.id = ${v.id}::uuid
            and exists (select 1 from caller where caller.is_admin or x.api_key_id = caller.id)
        )
        select auth.*, g.* from auth left join g on true`,
  );
  const [row] = await statement<KeyAuthRow & Partial<GenerationRow>>(db, {
    prefix: gate.check.prefix,
    hash: gate.check.hash,
    id,
  });
  const principal = principalOf(row, gate.check);
  return { principal, generation: row?.id ? toGenerationRecord(row as GenerationRow) : undefined };
}

/** Rows for many ids at once (re-sends, retries). */
export async function getGenerations(
  db: Executor,
  t: GenerationTables,
  ids: readonly string[],
): Promise<GenerationRecord[]> {
  if (ids.length === 0) return [];
  const rows = await rowsOf<GenerationRow>(
    db.execute(sql`
      select ${GENERATION_COLUMNS} from ${t.generations}
      where id = any(${uuidArray(ids)})`),
  );
  return rows.map(toGenerationRecord);
}
