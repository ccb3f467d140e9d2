import { memo } from '@genledger/core/memo';
import { sql } from 'drizzle-orm';
import type { Database } from './connect.ts';
import { rowsOf } from './executor.ts';
import { GENERATION_COLUMNS, type GenerationRow, toGenerationRecord } from './generation-store/row.ts';
import { createLocalQueueTable, localQueueTable } from './schema/local-queue-table.ts';
import { GENERATED_SCHEMA, type Tables, tablesFor } from './schema/tables.ts';
import { rowDecoder } from './table-rows.ts';

/** One message of the local queue as stored. */
export interface StoredQueueMessage {
  messageId: string;
  queue: string;
  body: string;
  messageAttributes: Record<string, string>;
  sentAt: Date;
  firstReceivedAt: Date | null;
  receiveCount: number;
  receiptHandle: string | null;
  /** Set once a message was moved to a dead-letter queue: the queue it failed on. */
  sourceArn: string | null;
}

type Row = Record<string, unknown>;

const decode = rowDecoder(() => localQueueTable(GENERATED_SCHEMA));

function toMessage(raw: Row): StoredQueueMessage {
  const m = decode(raw);
  return {
    messageId: m.messageId,
    queue: m.queue,
    body: m.body,
    messageAttributes: m.messageAttributes ?? {},
    sentAt: m.sentAt,
    firstReceivedAt: m.firstReceivedAt,
    receiveCount: m.receiveCount,
    receiptHandle: m.receiptHandle,
    sourceArn: m.sourceArn,
  };
}

const COLUMNS = sql.raw(
  'm.message_id::text as message_id, m.queue, m.body, m.message_attributes, m.sent_at, m.first_received_at, m.receive_count, m.receipt_handle::text as receipt_handle, m.source_arn',
);

const ms = (n: number) => sql`make_interval(secs => ${n}::double precision / 1000)`;

/**
 * The local queue's messages in the database it serves, so that what was accepted survives a
 * crash or a stop of `npm start` as it would survive in SQS. Not part of the deployed data model:
 * the table is created by the local runtime on start, never by a migration (SQS holds the
 * messages when deployed).
 */
export class LocalQueueStore {
  private readonly table: ReturnType<typeof localQueueTable>;
  private readonly generations: Tables['generations'];

  constructor(private readonly database: Pick<Database, 'db' | 'schema'>) {
    this.table = localQueueTable(database.schema);
    this.generations = tablesFor(database.schema).generations;
  }

  /** Creates the table on first use (idempotent; two processes starting at once both succeed). */
  readonly ensure: () => Promise<void> = memo(async () => {
    try {
      await createLocalQueueTable(this.database.db, this.table);
    } catch {
      // A concurrent `create … if not exists` can lose the race on the catalog; the winner's
      // table is the one wanted, and the second attempt sees it.
      await createLocalQueueTable(this.database.db, this.table);
    }
  });

  async send(input: {
    queue: string;
    messageId: string;
    body: string;
    messageAttributes: Record<string, string>;
    generationId?: string | null;
    /** Invisible for this long after the send (SQS DelaySeconds). */
    delayMs?: number;
  }): Promise<void> {
    await this.ensure();
    await this.database.db.execute(sql`
      insert into ${this.table} (message_id, queue, body, message_attributes, generation_id, visible_at)
      values (${input.messageId}::uuid, ${input.queue}, ${input.body}, ${JSON.stringify(input.messageAttributes)}::jsonb,
              ${input.generationId ?? null}::uuid, now() + ${ms(input.delayMs ?? 0)})`);
  }

  /** A received message's visibility from now (SQS ChangeMessageVisibility); false for a stale receipt. */
  async changeVisibility(receiptHandle: string, visibleInMs: number): Promise<boolean> {
    const rows = await rowsOf<{ message_id: string }>(
      this.database.db.execute(sql`
        update ${this.table} set visible_at = now() + ${ms(visibleInMs)}
        where receipt_handle = ${receiptHandle}::uuid returning message_id`),
    );
    return rows.length > 0;
  }

  /**
   * Receives up to `max` visible messages in one statement: each gets a new receipt, one more
   * receive and the visibility timeout. A message already received `maxReceiveCount` times moves to
   * `deadLetter` instead (SQS redrive), keeping its id and receive count. Rows locked by another
   * receiver are skipped, so two processes on one database never receive the same message at once.
   */
  async receive(input: {
    queue: string;
    max: number;
    visibilityTimeoutMs: number;
    redrive?: { maxReceiveCount: number; deadLetterQueue: string; sourceArn: string };
  }): Promise<{ messages: StoredQueueMessage[]; moved: number }> {
    await this.ensure();
    const limit = input.redrive?.maxReceiveCount ?? null;
    const rows = await rowsOf<Row & { moved: number }>(
      this.database.db.execute(sql`
        with due as (
          select message_id from ${this.table}
          where queue = ${input.queue} and visible_at <= now()
          order by seq limit ${input.max}
          for update skip locked
        ), moved as (
          update ${this.table} m set queue = ${input.redrive?.deadLetterQueue ?? null}, source_arn = ${input.redrive?.sourceArn ?? null},
                 visible_at = now(), receipt_handle = null
          from due where m.message_id = due.message_id and ${limit}::int is not null and m.receive_count >= ${limit}::int
          returning m.message_id
        ), got as (
          update ${this.table} m set receive_count = m.receive_count + 1,
                 first_received_at = coalesce(m.first_received_at, now()),
                 visible_at = now() + ${ms(input.visibilityTimeoutMs)}, receipt_handle = gen_random_uuid()
          from due where m.message_id = due.message_id and (${limit}::int is null or m.receive_count < ${limit}::int)
          returning m.*
        )
        select ${COLUMNS}, m.seq, (select count(*) from moved)::int as moved
        from (select 1) one left join got m on true
        order by m.seq`),
    );
    const moved = rows[0]?.moved ?? 0;
    return { messages: rows.filter((r) => r.message_id !== null).map(toMessage), moved };
  }

  /** Acknowledges a delivery; false for a stale receipt (the message was received again since). */
  async delete(receiptHandle: string): Promise<boolean> {
    const rows = await rowsOf<{ message_id: string }>(
      this.database.db.execute(sql`
        delete from ${this.table} where receipt_handle = ${receiptHandle}::uuid returning message_id`),
    );
    return rows.length > 0;
  }

  /** Makes received messages visible again at once (SQS ChangeMessageVisibility to 0). */
  async release(receiptHandles: readonly string[]): Promise<number> {
    if (receiptHandles.length === 0) return 0;
    const rows = await rowsOf<{ message_id: string }>(
      this.database.db.execute(sql`
        update ${this.table} set visible_at = now()
        where receipt_handle in (select x::uuid from jsonb_array_elements_text(${JSON.stringify(receiptHandles)}::jsonb) x)
        returning message_id`),
    );
    return rows.length;
  }

  async stats(
    queue: string,
  ): Promise<{ total: number; visible: number; inFlight: number; nextVisibleInMs: number | undefined }> {
    await this.ensure();
    const [row] = await rowsOf<{ total: number; visible: number; next_ms: number | null }>(
      this.database.db.execute(sql`
        select count(*)::int as total, (count(*) filter (where visible_at <= now()))::int as visible,
               -- greatest() skips nulls: an empty queue would read "next message in 0 ms" and be polled flat out.
               case when count(*) = 0 then null
                    else greatest(0, extract(epoch from (min(visible_at) - now())) * 1000)::float8 end as next_ms
        from ${this.table} where queue = ${queue}`),
    );
    const total = row?.total ?? 0;
    const visible = row?.visible ?? 0;
    return {
      total,
      visible,
      inFlight: total - visible,
      nextVisibleInMs:
        row?.next_ms === null || row?.next_ms === undefined ? undefined : Math.ceil(row.next_ms),
    };
  }

  /**
   * Pending or running generations that no message in `queues` will ever deliver: accepted but the
   * process stopped between the commit and the send, or queued before the queue was durable. A
   * running one is listed only once its attempt is older than `staleBefore` (its worker is gone;
   * a new message would only be handed back while the attempt looks alive).
   */
  async findUnqueued(options: {
    queues: readonly string[];
    changedBefore: Date;
    staleBefore: Date;
    limit: number;
  }) {
    await this.ensure();
    const rows = await rowsOf<GenerationRow>(
      this.database.db.execute(sql`
        select ${GENERATION_COLUMNS} from ${this.generations} g
        where ((g.status = 'pending' and g.updated_at < ${options.changedBefore.toISOString()}::timestamptz)
               or (g.status = 'running' and g.updated_at < ${options.staleBefore.toISOString()}::timestamptz))
          and not exists (
            select 1 from ${this.table} m
            where m.generation_id = g.id
              and m.queue in (select jsonb_array_elements_text(${JSON.stringify(options.queues)}::jsonb)))
        order by g.created_at limit ${options.limit}`),
    );
    return rows.map(toGenerationRecord);
  }
}
