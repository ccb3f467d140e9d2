// A generation's run journal (generation_runs) and its event stream, as tests compare them.
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../../packages/db/src/executor.ts';

export async function journal(database: Database, generationId: string) {
  const runs = await rowsOf<{
    attempt: number;
    status: string;
    error_type: string | null;
    completed: boolean;
  }>(
    database.db.execute(
      sql.raw(
        `select attempt, status, error_type, completed_at is not null as completed
         from "${database.schema}".generation_runs where generation_id = '${generationId}' order by attempt`,
      ),
    ),
  );
  const events = await new EventStore(database).readStream(`generation-${generationId}`);
  return { runs, events };
}
