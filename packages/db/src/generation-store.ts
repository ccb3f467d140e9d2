import type { GenerationRecord, GenerationStatus } from '@genledger/core/contracts/generation';
import type { KeyGate } from '@genledger/core/ports/api-keys';
import type {
  CreateOutcome,
  GenerationRepository,
  NewGeneration,
} from '@genledger/core/ports/generation-repository';
import type { CancelOutcome, Generations, RequeueOutcome } from '@genledger/core/ports/generations';
import type { Owner, Principal } from '@genledger/core/ports/principal';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Database } from './connect.ts';
import type { EventStore } from './event-store.ts';
import type { Executor } from './executor.ts';
import { cancel } from './generation-store/cancel.ts';
import type { GenerationTables } from './generation-store/context.ts';
import { GenerationCreate } from './generation-store/create.ts';
import { deleteExpired, findExpired } from './generation-store/expired.ts';
import { getAsStatement, getGeneration, getGenerationAs, getGenerations } from './generation-store/get.ts';
import { requeue } from './generation-store/requeue.ts';
import { findUnsent, markEnqueued, markNotEnqueued } from './generation-store/unsent.ts';
import { tablesFor } from './schema/tables.ts';

export type CreateGenerationInput = NewGeneration;

/**
 * Generations: recording one with its event (generation-store/create.ts), reading them by id
 * (get.ts), cancelling (cancel.ts) and the maintenance job's re-send bookkeeping (unsent.ts). The
 * worker's state changes are GenerationLifecycle's; every status change that ends a generation or
 * its attempt is built by generation-transitions.ts.
 */
export class GenerationStore implements GenerationRepository, Generations {
  readonly table: PgTable;
  private readonly t: GenerationTables;
  private readonly creation: GenerationCreate;
  private readonly getAsStatement = getAsStatement();

  constructor(
    private readonly database: Pick<Database, 'db' | 'schema'>,
    private readonly events: EventStore,
  ) {
    const tables = tablesFor(database.schema);
    this.table = tables.generations;
    this.t = { generations: tables.generations, runs: tables.generationRuns };
    this.creation = new GenerationCreate(database.db, this.t, events);
  }

  /**
   * Inserts the generation and its GenerationRequested event in one statement. An existing id or
   * idempotency key inserts nothing: the caller gets the one that was there.
   */
  create(input: CreateGenerationInput, tx: Executor = this.database.db): Promise<CreateOutcome> {
    return this.creation.create(input, tx);
  }

  /** `create` for the caller of a bearer key, authentication included: one statement, one round trip. */
  createAs(
    input: CreateGenerationInput,
    gate: KeyGate,
  ): Promise<{ principal: Principal; created?: CreateOutcome }> {
    return this.creation.createAs(input, gate);
  }

  /** `get` for the caller of a bearer key, authentication included (one statement). */
  getAs(id: string, gate: KeyGate): Promise<{ principal: Principal; generation?: GenerationRecord }> {
    return getGenerationAs(this.database.db, this.t, this.getAsStatement, id, gate);
  }

  get(
    id: string,
    owner: Owner = { admin: true },
    tx: Executor = this.database.db,
  ): Promise<GenerationRecord | undefined> {
    return getGeneration(tx, this.t, id, owner);
  }

  /**
   * Cancels in one statement when the owner may see it and its status is one of `from`, closing a
   * running attempt, with its event; otherwise returns what is there (the use case says why not).
   */
  cancel(
    id: string,
    owner: Owner,
    from: readonly GenerationStatus[],
    metadata: Record<string, unknown> = {},
  ): Promise<CancelOutcome> {
    return cancel(this.database.db, this.t, this.events, id, owner, from, metadata);
  }

  /** Failed → pending with its event, for a re-run; otherwise what is there (generation-store/requeue.ts). */
  requeue(id: string, owner: Owner, metadata: Record<string, unknown> = {}): Promise<RequeueOutcome> {
    return requeue(this.database.db, this.t, this.events, id, owner, metadata);
  }

  /** A send failed: the maintenance job re-sends what is pending and not enqueued. */
  markNotEnqueued(ids: readonly string[], tx: Executor = this.database.db): Promise<void> {
    return markNotEnqueued(tx, this.t, ids);
  }

  /** Records that messages reached the queue (a re-send by maintenance). */
  markEnqueued(ids: readonly string[], tx: Executor = this.database.db): Promise<void> {
    return markEnqueued(tx, this.t, ids);
  }

  /** Unfinished generations whose message may be lost and is (re-)sent (generation-store/unsent.ts). */
  findUnsent(options: {
    notEnqueuedBefore: Date;
    staleBefore: Date;
    runningStaleBefore?: Date;
    limit: number;
  }): Promise<GenerationRecord[]> {
    return findUnsent(this.database.db, this.t, options);
  }

  /** Finished generations unchanged since `before`, oldest first (the retention sweep). */
  findExpired(before: Date, limit: number): Promise<string[]> {
    return findExpired(this.database.db, this.t, before, limit);
  }

  /** Deletes those of `ids` still finished and unchanged since `before`; answers how many. */
  deleteExpired(ids: readonly string[], before: Date): Promise<number> {
    return deleteExpired(this.database.db, this.t, ids, before);
  }

  /** Rows for many ids at once (re-sends, retries). */
  getMany(ids: readonly string[]): Promise<GenerationRecord[]> {
    return getGenerations(this.database.db, this.t, ids);
  }
}
