import { streams } from '@genledger/core/contracts/events';
import type { GenerationRecord, GenerationStatus } from '@genledger/core/contracts/generation';
import type { KeyGate } from '@genledger/core/ports/api-keys';
import type {
  CreateOutcome,
  GenerationRepository,
  NewGeneration,
} from '@genledger/core/ports/generation-repository';
import type { Generations } from '@genledger/core/ports/generations';
import type { Owner, Principal } from '@genledger/core/ports/principal';
import { type SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { gateAdmits, gatedStatement, type KeyAuthRow, principalOf } from './api-key-store.ts';
import type { Database } from './connect.ts';
import { type EventStore, fromRow, type JoinedEvent } from './event-store.ts';
import { type Executor, executePrepared, rowsOf } from './executor.ts';
import { ATTEMPT_CLOSED_BY, cancelGeneration, closeRunningAttempts } from './generation-transitions.ts';
import { GENERATED_SCHEMA, tablesFor } from './schema/tables.ts';
import { rowDecoder } from './table-rows.ts';

/** Columns a generation is read with (never the search vector). */
export const GENERATION_COLUMNS = sql.raw(
  [
    'id',
    'api_key_id',
    'name',
    'prompt',
    'negative_prompt',
    'model',
    'width',
    'height',
    'steps',
    'guidance',
    'seed',
    'status',
    'idempotency_key',
    'request_hash',
    'prompt_id',
    'output_path',
    'thumbnail_path',
    'error_message',
    'attempts',
    'created_at',
    'updated_at',
    'started_at',
    'completed_at',
    'duration_ms',
    'enqueued_at',
  ].join(', '),
);

/** What `createAs` binds per request: the key check, the generation's fields, its event's JSON. */
type CreateAsValues = {
  prefix: string;
  hash: string;
  id: string;
  name: string;
  prompt: string;
  negativePrompt: string | null;
  model: string;
  width: number;
  height: number;
  steps: number;
  guidance: number;
  seed: number | null;
  idempotencyKey: string | null;
  requestHash: string | null;
  enqueued: boolean;
  payload: string;
  metadata: string;
  stream: string;
};

/** A generations row as a statement returns it: SQL column names, values as the driver hands them. */
export type GenerationRow = Record<string, unknown> & { id: string };

/** Rows as drizzle types them (`$inferSelect`), decoded by the generations table's own columns. */
export const decodeGeneration = rowDecoder(tablesFor(GENERATED_SCHEMA).generations);

const isoOrNull = (d: Date | null) => d?.toISOString() ?? null;

export function toGenerationRecord(raw: GenerationRow): GenerationRecord {
  const g = decodeGeneration(raw);
  return {
    id: g.id,
    name: g.name,
    prompt: g.prompt,
    negativePrompt: g.negativePrompt,
    model: g.model,
    width: g.width,
    height: g.height,
    steps: g.steps,
    // `real` is float4: round-trip through 7 significant digits so 7.5 stays 7.5 and 0.1 stays 0.1.
    guidance: Number(g.guidance.toPrecision(7)),
    seed: g.seed,
    status: g.status,
    idempotencyKey: g.idempotencyKey,
    promptId: g.promptId,
    outputPath: g.outputPath,
    thumbnailPath: g.thumbnailPath,
    errorMessage: g.errorMessage,
    attempts: g.attempts,
    createdAt: g.createdAt.toISOString(),
    updatedAt: g.updatedAt.toISOString(),
    startedAt: isoOrNull(g.startedAt),
    completedAt: isoOrNull(g.completedAt),
    durationMs: g.durationMs,
  };
}

export type CreateGenerationInput = NewGeneration;

/**
 * A uuid[] literal. `= any(array)` lets the planner use the primary key; an `in (select …)` over a
 * set-returning function is estimated badly and turned into a scan of the whole table.
 */
export function uuidArray(ids: readonly string[]): string {
  for (const id of ids) if (!/^[0-9a-f-]{36}$/i.test(id)) throw new Error(`not a uuid: ${id}`);
  return `{${ids.join(',')}}`;
}

export class GenerationStore implements GenerationRepository, Generations {
  readonly table: PgTable;
  private readonly runs: PgTable;

  constructor(
    private readonly database: Pick<Database, 'db' | 'schema'>,
    private readonly events: EventStore,
  ) {
    const tables = tablesFor(database.schema);
    this.table = tables.generations;
    this.runs = tables.generationRuns;
  }

  private ownerFilter(owner: Owner): SQL {
    return owner.admin ? sql`true` : sql`api_key_id = ${owner.apiKeyId}`;
  }

  /**
   * Inserts the generation and its GenerationRequested event in one statement (one round trip, one
   * implicit transaction). An existing id or idempotency key inserts nothing: the caller gets the
   * one that was there (recordGeneration decides a replay from a conflict).
   */
  async create(input: CreateGenerationInput, tx: Executor = this.database.db): Promise<CreateOutcome> {
    const r = input.request;
    const event = {
      streamId: streams.generation(input.id),
      event: {
        type: 'GenerationRequested',
        generationId: input.id,
        apiKeyId: input.apiKeyId,
        request: r,
        idempotencyKey: input.idempotencyKey,
        source: input.source,
      },
      metadata: input.metadata,
    } as const;
    const [inserted] = await executePrepared<GenerationRow>(
      tx,
      'gl_create',
      sql`
        with g as (
          insert into ${this.table} (id, api_key_id, name, prompt, negative_prompt, model, width, height, steps,
                                     guidance, seed, idempotency_key, request_hash, enqueued_at)
          values (${input.id}, ${input.apiKeyId}, ${r.name}, ${r.prompt}, ${r.negativePrompt ?? null}, ${r.model},
                  ${r.width}, ${r.height}, ${r.steps}, ${r.guidance}, ${r.seed ?? null}, ${input.idempotencyKey},
                  ${input.requestHash}, ${input.enqueued ? sql`now()` : sql`null`})
          on conflict do nothing
          returning ${GENERATION_COLUMNS}
        ), e as (${this.events.appendWhen('g', [event])})
        select * from g`,
    );
    if (inserted) return { generation: toGenerationRecord(inserted), created: true };
    return this.existing(input, tx);
  }

  /** The generation an insert that did nothing ran into: the original, or a conflict. */
  private async existing(
    input: CreateGenerationInput,
    tx: Executor = this.database.db,
  ): Promise<CreateOutcome> {
    const [existing] = await rowsOf<GenerationRow>(
      tx.execute(sql`
        select ${GENERATION_COLUMNS} from ${this.table}
        where id = ${input.id}
           or (${input.idempotencyKey}::text is not null
               and idempotency_key = ${input.idempotencyKey}
               and coalesce(api_key_id, '00000000-0000-0000-0000-000000000000'::uuid)
                   = coalesce(${input.apiKeyId}::uuid, '00000000-0000-0000-0000-000000000000'::uuid))
        limit 1`),
    );
    return {
      created: false,
      existing: existing && {
        generation: toGenerationRecord(existing),
        requestHash: (existing.request_hash as string | null) ?? null,
      },
    };
  }

  /**
   * `create` for the caller of a bearer key, authentication included: the key check, its
   * rate-limit count, the generation and its event are one statement, one round trip. The owner is
   * the key's id as the database found it (`input.apiKeyId` is ignored). Nothing is written unless
   * the key may act (`gateAdmits`); the principal comes back either way for the edge to judge. An
   * insert that ran into an existing id or idempotency key costs a second round trip.
   */
  async createAs(
    input: CreateGenerationInput,
    gate: KeyGate,
  ): Promise<{ principal: Principal; created?: CreateOutcome }> {
    const r = input.request;
    const event: JoinedEvent = {
      stream: streams.generation(input.id),
      event: {
        type: 'GenerationRequested',
        generationId: input.id,
        apiKeyId: fromRow('g.api_key_id'),
        request: r,
        idempotencyKey: input.idempotencyKey,
        source: input.source,
      },
      metadata: { ...input.metadata, apiKeyId: fromRow('g.api_key_id') },
    };
    const values = this.events.joined.values(event);
    // Typed parameters: an INSERT … SELECT does not infer them from the target columns.
    const statement = this.createAsStatement(
      gate,
      (ctes, v) => sql`
        with ${ctes}, g as (
          insert into ${this.table} (id, api_key_id, name, prompt, negative_prompt, model, width, height, steps,
                                     guidance, seed, idempotency_key, request_hash, enqueued_at)
          select ${v.id}::uuid, caller.id, ${v.name}::text, ${v.prompt}::text, ${v.negativePrompt}::text,
                 ${v.model}::text, ${v.width}::int, ${v.height}::int, ${v.steps}::int, ${v.guidance}::real,
                 ${v.seed}::int, ${v.idempotencyKey}::text, ${v.requestHash}::text,
                 case when ${v.enqueued}::boolean then now() end
          from caller
          on conflict do nothing
          returning ${GENERATION_COLUMNS}
        ), e as (${this.events.joined.sqlFor('g', this.events.joined.shape(event), v)})
        select auth.*, g.* from auth left join g on true`,
    );
    const [row] = await statement<KeyAuthRow & Partial<GenerationRow>>(this.database.db, {
      prefix: gate.check.prefix,
      hash: gate.check.hash,
      id: input.id,
      name: r.name,
      prompt: r.prompt,
      negativePrompt: r.negativePrompt ?? null,
      model: r.model,
      width: r.width,
      height: r.height,
      steps: r.steps,
      guidance: r.guidance,
      seed: r.seed ?? null,
      idempotencyKey: input.idempotencyKey,
      requestHash: input.requestHash,
      enqueued: input.enqueued,
      payload: values.payload,
      metadata: values.metadata,
      stream: values.stream,
    });
    const principal = principalOf(row, gate.check);
    if (!gateAdmits(gate, principal)) return { principal };
    if (row?.id)
      return { principal, created: { generation: toGenerationRecord(row as GenerationRow), created: true } };
    return { principal, created: await this.existing({ ...input, apiKeyId: principal.apiKeyId }) };
  }

  /** `createAs`'s statement; its event's shape (what is bound to the row's columns) is fixed above. */
  private readonly createAsStatement = gatedStatement<CreateAsValues>('gl_create_as');

  /**
   * `get` for the caller of a bearer key, authentication included (one statement): an admin key
   * sees any generation, another key its own. `generation` is undefined when there is none to see.
   */
  async getAs(id: string, gate: KeyGate): Promise<{ principal: Principal; generation?: GenerationRecord }> {
    const statement = this.getAsStatement(
      gate,
      (ctes, v) => sql`
        with ${ctes}, g as (
          select ${GENERATION_COLUMNS} from ${this.table} x
          where x.id = ${v.id}::uuid
            and exists (select 1 from caller where caller.is_admin or x.api_key_id = caller.id)
        )
        select auth.*, g.* from auth left join g on true`,
    );
    const [row] = await statement<KeyAuthRow & Partial<GenerationRow>>(this.database.db, {
      prefix: gate.check.prefix,
      hash: gate.check.hash,
      id,
    });
    const principal = principalOf(row, gate.check);
    return { principal, generation: row?.id ? toGenerationRecord(row as GenerationRow) : undefined };
  }

  private readonly getAsStatement = gatedStatement<{ prefix: string; hash: string; id: string }>('gl_get_as');

  async get(
    id: string,
    owner: Owner = { admin: true },
    tx: Executor = this.database.db,
  ): Promise<GenerationRecord | undefined> {
    const [row] = await rowsOf<GenerationRow>(
      tx.execute(
        sql`select ${GENERATION_COLUMNS} from ${this.table} where id = ${id} and ${this.ownerFilter(owner)}`,
      ),
    );
    return row && toGenerationRecord(row);
  }

  /**
   * Cancels in one statement when the owner may see it and its status is one of `from`, with its
   * event; otherwise returns what is there (the use case says why not). The run of an attempt in
   * progress is closed with it (failed, `Cancelled`), and the event names that attempt; the worker
   * finishing it later finds the generation cancelled and records nothing.
   */
  async cancel(
    id: string,
    owner: Owner,
    from: readonly GenerationStatus[],
    metadata: Record<string, unknown> = {},
  ): Promise<
    { cancelled: GenerationRecord } | { cancelled: undefined; current: GenerationRecord | undefined }
  > {
    const [row] = await rowsOf<GenerationRow>(
      this.database.db.execute(sql`
        with g as (${cancelGeneration(this.table, {
          id,
          allowed: sql`${this.ownerFilter(owner)} and status = any(${sql.param([...from])}::text[])`,
          returning: GENERATION_COLUMNS,
        })}), run as (${closeRunningAttempts(
          this.runs,
          { status: 'failed', durationMs: 'elapsed', error: ATTEMPT_CLOSED_BY.cancel },
          { from: 'g', where: sql`r.generation_id = g.id`, returning: sql`r.attempt` },
        )}), e as (${this.events.appendForEach('g', {
          stream: streams.generation(id),
          event: {
            type: 'GenerationCancelled',
            generationId: id,
            model: fromRow('g.model'),
            attempt: fromRow('(select max(attempt) from run)'),
          },
          metadata,
        })})
        select * from g`),
    );
    if (row) return { cancelled: toGenerationRecord(row) };
    return { cancelled: undefined, current: await this.get(id, owner) };
  }

  /** A send failed: the maintenance job re-sends what is pending and not enqueued. */
  async markNotEnqueued(ids: readonly string[], tx: Executor = this.database.db): Promise<void> {
    if (ids.length === 0) return;
    await tx.execute(sql`
      update ${this.table} set enqueued_at = null
      where id = any(${uuidArray(ids)}::uuid[]) and status = 'pending'`);
  }

  /** Records that messages reached the queue (a re-send by maintenance). */
  async markEnqueued(ids: readonly string[], tx: Executor = this.database.db): Promise<void> {
    if (ids.length === 0) return;
    await tx.execute(sql`
      update ${this.table} set enqueued_at = now()
      where id = any(${uuidArray(ids)}::uuid[])`);
  }

  /**
   * Unfinished generations whose message may be lost and is (re-)sent: the send failed (not
   * enqueued, older than `notEnqueuedBefore`); pending — before or after failed attempts — with
   * nothing sent or changed since `staleBefore` (the process died between commit and send, or the
   * message was lost); running under an attempt started, and nothing sent, before
   * `runningStaleBefore` (its worker is gone; the worker takes a stale attempt over). A message
   * merely still in flight is redelivered before these thresholds pass when they exceed the
   * queue's visibility timeout; and if not, the worker's guards still admit one completion only.
   */
  async findUnsent(options: {
    notEnqueuedBefore: Date;
    staleBefore: Date;
    runningStaleBefore?: Date;
    limit: number;
  }): Promise<GenerationRecord[]> {
    const stale = options.staleBefore.toISOString();
    const runningStale = (options.runningStaleBefore ?? options.staleBefore).toISOString();
    const rows = await rowsOf<GenerationRow>(
      this.database.db.execute(sql`
        select ${GENERATION_COLUMNS} from ${this.table}
        where (status = 'pending'
               and ((enqueued_at is null and created_at < ${options.notEnqueuedBefore.toISOString()}::timestamptz)
                    or greatest(enqueued_at, updated_at) < ${stale}::timestamptz))
           or (status = 'running'
               and greatest(coalesce(enqueued_at, created_at), updated_at) < ${runningStale}::timestamptz)
        order by created_at limit ${options.limit}`),
    );
    return rows.map(toGenerationRecord);
  }

  /** Rows for many ids at once (re-sends, retries). */
  async getMany(ids: readonly string[]): Promise<GenerationRecord[]> {
    if (ids.length === 0) return [];
    const rows = await rowsOf<GenerationRow>(
      this.database.db.execute(sql`
        select ${GENERATION_COLUMNS} from ${this.table}
        where id = any(${uuidArray(ids)}::uuid[])`),
    );
    return rows.map(toGenerationRecord);
  }
}
