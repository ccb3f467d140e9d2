import type { FailedMessageDetail } from '@genledger/core/contracts/failed-messages';
import { sql } from 'drizzle-orm';
import { type Executor, rowsOf } from '../executor.ts';
import type { FailedMessageTables } from './context.ts';
import { decodeAttempt, decodeMessage, type Row, SUMMARY_COLUMNS, toSummary } from './rows.ts';

/** A failed message with its body, its groups and every attempt; undefined when there is none. */
export async function getFailedMessage(
  db: Executor,
  t: Pick<FailedMessageTables, 'messages' | 'attempts' | 'groups' | 'members'>,
  id: string,
): Promise<FailedMessageDetail | undefined> {
  const [row] = await rowsOf<Row>(
    db.execute(
      sql`select ${SUMMARY_COLUMNS}, body, attributes, last_error_stack from ${t.messages} where id = ${id}`,
    ),
  );
  if (!row) return undefined;
  const attempts = await rowsOf<Row>(
    db.execute(sql`
      select message_id, failed_at, receive_count, queue, error_type, error_message, error_stack
      from ${t.attempts} where failed_message_id = ${id} order by failed_at, id`),
  );
  const groups = await rowsOf<Row>(
    db.execute(sql`
      select g.id, g.classifier, g.title from ${t.groups} g join ${t.members} m on m.group_id = g.id
      where m.failed_message_id = ${id} order by g.classifier`),
  );
  const m = decodeMessage(row);
  return {
    ...toSummary(row),
    body: m.body,
    attributes: (m.attributes as Record<string, unknown> | null) ?? {},
    lastErrorStack: m.lastErrorStack,
    groups: groups.map((g) => ({
      id: String(g.id),
      classifier: String(g.classifier),
      title: String(g.title),
    })),
    attempts: attempts.map(decodeAttempt).map((a) => ({
      messageId: a.messageId,
      failedAt: a.failedAt.toISOString(),
      receiveCount: a.receiveCount,
      queue: a.queue,
      errorType: a.errorType,
      errorMessage: a.errorMessage,
      errorStack: a.errorStack,
    })),
  };
}
