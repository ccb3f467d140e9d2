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
   * INSERT … SELECT over `feed`, a relation of event_type, event_version, payload, stored_at, that
   * adds to the model as `apply` does), for a rebuild that would otherwise carry every event to
   * Node; called once per chunk of the feed. Used only while the store reads these
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
    private readonly options: {
      batchSize?: number;
      /** Events per statement (and transaction) of a rebuild folded in the database. */
      rebuildChunk?: number;
    } = {},
  ) {
    this.checkpoints = tablesFor(database.schema).checkpoints;
  }

  private get batchSize() {
    return this.options.batchSize ?? 1000;
  }

  // About 2.5 s a chunk at the bench machine's rate: far inside DB_STATEMENT_TIMEOUT_MS (30 s).
  private get rebuildChunk() {
    return this.options.rebuildChunk ?? 1_000_000;
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
   * Empties the read model and folds every event again. A projection with a fold in SQL (and
   * event types read as stored) is rebuilt in chunks, each its own transaction (see
   * `rebuildInChunks`); any other replays event by event in one transaction, during which readers
   * see the old model.
   */
  async rebuild(projection: Projection): Promise<ProjectionProgress> {
    const fold = projection.foldInDatabase;
    if (fold && this.events.storesAsRead(fold.versions)) return this.rebuildInChunks(projection, fold);
    return this.replayRebuild(projection);
  }

  /**
   * The rebuild folded in the database, `rebuildChunk` events per statement. The first transaction
   * empties the model, sets the checkpoint to the start and records the target (the feed's
   * visible head then) in a marker checkpoint `rebuild:<name>`; each chunk then folds the next
   * events up to the target and advances the checkpoint in one transaction under the projection's
   * lock, so the model always equals the fold up to its checkpoint and no statement grows with the
   * table. A rebuild that finds the marker resumes from the checkpoint instead of starting over
   * (an interrupted one, or one running beside it); the last chunk deletes the marker.
   */
  private async rebuildInChunks(
    projection: Projection,
    fold: NonNullable<Projection['foldInDatabase']>,
  ): Promise<ProjectionProgress> {
    await this.startRebuild(projection);
    let processed = 0;
    for (;;) {
      const chunk = await this.foldChunk(projection, fold);
      processed += chunk.processed;
      if (chunk.done) break;
    }
    return {
      projection: projection.name,
      processed,
      position: await this.checkpoint(projection.name),
      ran: true,
    };
  }

  /** Resets the model and records the target, unless a rebuild is under way (it resumes). */
  private startRebuild(projection: Projection): Promise<void> {
    return this.database.db.transaction(async (tx) => {
      await this.lock(tx, projection);
      if (await this.marker(tx, projection)) return;
      await projection.reset(tx);
      await this.saveCheckpoint(tx, projection.name, START);
      const head = await this.events.visibleHead({ tx });
      if (head) await this.saveCheckpoint(tx, markerName(projection), head);
    });
  }

  /** One chunk: fold the next `rebuildChunk` events up to the target and advance the checkpoint. */
  private foldChunk(
    projection: Projection,
    fold: NonNullable<Projection['foldInDatabase']>,
  ): Promise<{ processed: number; done: boolean }> {
    return this.database.db.transaction(async (tx) => {
      await this.lock(tx, projection);
      // No marker: an empty feed, or another rebuild beside this one finished it.
      const target = await this.marker(tx, projection);
      if (!target) return { processed: 0, done: true };
      const from = await this.checkpoint(projection.name, tx);
      const end = await this.events.chunkEnd(from, target, this.rebuildChunk, { tx });
      const processed = end ? await fold.apply(tx, this.events.feedBetween(from, end)) : 0;
      if (end) await this.saveCheckpoint(tx, projection.name, end);
      const done = !end || (end.txId === target.txId && end.sequence === target.sequence);
      if (done) await tx.execute(sql`delete from ${this.checkpoints} where name = ${markerName(projection)}`);
      return { processed, done };
    });
  }

  private async marker(tx: Executor, projection: Projection): Promise<Position | undefined> {
    const [row] = await rowsOf<{ tx_id: string; sequence: unknown }>(
      tx.execute(
        sql`select tx_id::text as tx_id, sequence from ${this.checkpoints} where name = ${markerName(projection)}`,
      ),
    );
    return row ? { txId: row.tx_id, sequence: toNumber(row.sequence) } : undefined;
  }

  private async lock(tx: Executor, projection: Projection) {
    await tx.execute(
      sql`select pg_advisory_xact_lock(${LOCK_CLASS}, hashtext(${`${this.database.schema}.${projection.name}`}))`,
    );
  }

  /**
   * Truncate and replay from zero in one transaction under the projection's lock: a second
   * rebuild waits, a concurrent `runOnce` skips, readers see the old model until commit.
   */
  private async replayRebuild(projection: Projection): Promise<ProjectionProgress> {
    return this.database.db.transaction(async (tx) => {
      await this.lock(tx, projection);
      await projection.reset(tx);
      // A chunked rebuild left unfinished is superseded by this one.
      await tx.execute(sql`delete from ${this.checkpoints} where name = ${markerName(projection)}`);
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

/** The checkpoint row that marks a chunked rebuild under way and holds its target position. */
function markerName(projection: Projection): string {
  return `rebuild:${projection.name}`;
}
