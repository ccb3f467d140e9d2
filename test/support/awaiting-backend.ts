import { createHash } from 'node:crypto';
import type { Database } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { GenerationLifecycle } from '@genledger/db/generation-lifecycle';
import { sql } from 'drizzle-orm';
import { rowsOf } from '../../packages/db/src/executor.ts';

export const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * A generation inserted bare, and `awaiting(n)`: its attempt n started by the worker, handed to an
 * asynchronous backend (the hash of `token(id, n)` stored as its callback token, `receipt(n)` as
 * the held delivery) and submitted there as job `job-n` — what a callback then settles.
 */
export async function generationAwaitingBackend(
  database: Database,
  options: { token: (id: string, attempt: number) => string; receipt: (attempt: number) => string | null },
) {
  const lifecycle = new GenerationLifecycle(database, new EventStore(database));
  const [row] = await rowsOf<{ id: string }>(
    database.db.execute(
      sql.raw(
        `insert into "${database.schema}".generations (id, prompt, model) values (gen_random_uuid(), 'p', 'flux') returning id`,
      ),
    ),
  );
  const id = row!.id;
  const awaiting = async (attempt: number) => {
    await lifecycle.start({
      generationId: id,
      messageId: `m-${attempt}`,
      receiveCount: attempt,
      staleAfterMs: 3_600_000,
    });
    await lifecycle.awaitBackend({
      generationId: id,
      attempt,
      callbackTokenHash: sha256Hex(options.token(id, attempt)),
      deadlineAt: new Date(Date.now() + 3_600_000),
      receiptHandle: options.receipt(attempt),
    });
    await lifecycle.recordSubmission({ generationId: id, attempt, backendId: `job-${attempt}` });
  };
  return { lifecycle, id, awaiting };
}
