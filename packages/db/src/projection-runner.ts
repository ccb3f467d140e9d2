import { type SQL, sql } from 'drizzle-orm';
import type { Database } from './connect.ts';
import { type EventStore, type Position, START, type StoredEvent } from './event-store.ts';
import { type Executor, rowsOf, toNumber } from './executor.ts';
import { tablesFor } from './schema/tables.ts';

/** A read model fed from the event feed. `apply` runs in the same transaction as the checkpoint. */
export interface Projection {
  name: string;
  apply(tx: Executor, events: readonly StoredEvent[]): Promise<void>;
  /** Empties the read model before a rebuild. */
  reset(tx: Executor): Promise<void>;
  /**
   * Optional: the same fold as `apply`, over every event at once, in the database (one
   * INSERT … SELECT over `feed`, a relation of event_type, event_version, payload, stored_at), for
   * a rebuild that would otherwise carry every event to Node. Used only while the store reads these
   * event types at these versions unchanged (no upcasting). Returns how many events it read.
   */
  foldInDatabase?: {
    versions: Readonly<Record<string, number>>;
    apply(tx: Executor, feed: SQL): Promise<number>;
  };
}

export interface ProjectionProgress {
  projection: string;
  processed: number;
  position: Position;
  /** False when another runner held the projection (a rebuild, or a concurrent tick). */
  ran: boolean;
}

const LOCK_CLASS = 0x70726f6a; // "proj"

export class ProjectionRunner {
  private readonly checkpoints;

  constructor(
    private readonly database: Pick<Database, 'db' | 'schema'>,
    private readonly events: EventStore,
    private readonly options: { batchSize?: number } = {},
  ) {
    this.checkpoints = tablesFor(database.schema).checkpoints;
  }

  private get batchSize() {
    return this.options.batchSize ?? 1000;
  }

  async checkpoint(name: string, tx: Executor = this.database.db): Promise<Position> {
    const [row] = await rowsOf<{ tx_id: string; sequence: unknown }>(
      tx.execute(sql`select tx_id::text as tx_id, sequence from ${this.checkpoints} where name = ${name}`),
    );
    return row ? { txId: row.tx_id, sequence: toNumber(row.sequence) } : START;
  }

  private async saveCheckpoint(tx: Executor, name: string, p: Position) {
    await tx.execute(sql`
      insert into ${this.checkpoints} (name, tx_id, sequence, updated_at)
      values (${name}, ${p.txId}::xid8, ${p.sequence}, now())
      on conflict (name) do update set tx_id = excluded.tx_id, sequence = excluded.sequence, updated_at = now()`);
  }

  /**
   * Applies one batch and advances the checkpoint in one transaction: a crash leaves either both or
   * neither. Skips (ran=false) when another runner holds the projection.
   */
  async runOnce(projection: Projection): Promise<ProjectionProgress> {
    return this.database.db.transaction(async (tx) => {
      const [lock] = await rowsOf<{ got: boolean }>(
        tx.execute(
          sql`select pg_try_advisory_xact_lock(${LOCK_CLASS}, hashtext(${`${this.database.schema}.${projection.name}`})) as got`,
        ),
      );
      if (!lock?.got) return { projection: projection.name, processed: 0, position: START, ran: false };
      const from = await this.checkpoint(projection.name, tx);
      // Read before writing: until this transaction writes it holds no transaction id, so it does
      // not hold back its own visibility horizon.
      const batch = await this.events.readAfter(from, this.batchSize, { tx });
      if (batch.length === 0) return { projection: projection.name, processed: 0, position: from, ran: true };
      await projection.apply(tx, batch);
      const position = batch[batch.length - 1]!.position;
      await this.saveCheckpoint(tx, projection.name, position);
      return { projection: projection.name, processed: batch.length, position, ran: true };
    });
  }

  /** Runs batches until the projection has caught up with the visible feed. */
  async catchUp(projection: Projection, maxBatches = Number.POSITIVE_INFINITY): Promise<ProjectionProgress> {
    let total = 0;
    let last: ProjectionProgress = { projection: projection.name, processed: 0, position: START, ran: true };
    for (let i = 0; i < maxBatches; i++) {
      last = await this.runOnce(projection);
      total += last.processed;
      if (!last.ran || last.processed < this.batchSize) break;
    }
    return { ...last, processed: total };
  }

  /**
   * Truncate and replay from zero in one transaction under the projection's lock: a second
   * rebuild waits, a concurrent `runOnce` skips, readers see the old model until commit.
   */
  async rebuild(projection: Projection): Promise<ProjectionProgress> {
    return this.database.db.transaction(async (tx) => {
      await tx.execute(
        sql`select pg_advisory_xact_lock(${LOCK_CLASS}, hashtext(${`${this.database.schema}.${projection.name}`}))`,
      );
      await projection.reset(tx);
      const fold = projection.foldInDatabase;
      if (fold && this.events.storesAsRead(fold.versions)) {
        // One statement up to the feed's head, fixed first: what a page-by-page replay would
        // reach, without reading a million events into this process (bench: event-store).
        const head = await this.events.visibleHead({ tx });
        const processed = head ? await fold.apply(tx, this.events.feedUpTo(head)) : 0;
        const position = head ?? START;
        await this.saveCheckpoint(tx, projection.name, position);
        return { projection: projection.name, processed, position, ran: true };
      }
      let position = START;
      let processed = 0;
      for (;;) {
        const batch = await this.events.readAfter(position, this.batchSize, { tx });
        if (batch.length === 0) break;
        await projection.apply(tx, batch);
        processed += batch.length;
        position = batch[batch.length - 1]!.position;
        if (batch.length < this.batchSize) break;
      }
      await this.saveCheckpoint(tx, projection.name, position);
      return { projection: projection.name, processed, position, ran: true };
    });
  }
}
