import { streams } from '@genledger/core/contracts/events';
import { webhookColumns } from '@genledger/core/contracts/generation';
import type { KeyGate } from '@genledger/core/ports/api-keys';
import type { CreateOutcome, NewGeneration } from '@genledger/core/ports/generation-repository';
import type { Principal } from '@genledger/core/ports/principal';
import { sql } from 'drizzle-orm';
import { gateAdmits, gatedStatement, type KeyAuthRow, principalOf } from '../api-key-store/gate.ts';
import { type EventStore, fromRow, type JoinedEvent } from '../event-store.ts';
import { type Executor, executePrepared, rowsOf } from '../executor.ts';
import type { GenerationTables } from './context.ts';
import { GENERATION_COLUMNS, type GenerationRow, toGenerationRecord } from './row.ts';

/** A JSON array text (or null) as text[]. */
const textArrayOf = (json: unknown) =>
  sql`(select array_agg(x) from jsonb_array_elements_text(${json}::jsonb) x)`;

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
  webhookUrl: string | null;
  /** JSON array text: a parameter every driver binds alike. */
  webhookEvents: string | null;
  payload: string;
  metadata: string;
  stream: string;
};

/**
 * Recording a new generation with its GenerationRequested event: `GenerationStore.create` and
 * `createAs`, and the lookup of what an insert that did nothing ran into. One per store: its
 * statements are compiled once, for its schema.
 */
export class GenerationCreate {
  private readonly table;

  constructor(
    private readonly db: Executor,
    tables: GenerationTables,
    private readonly events: EventStore,
  ) {
    this.table = tables.generations;
  }

  /**
   * Inserts the generation and its GenerationRequested event in one statement (one round trip, one
   * implicit transaction). An existing id or idempotency key inserts nothing: the caller gets the
   * one that was there (recordGeneration decides a replay from a conflict).
   */
  async create(input: NewGeneration, tx: Executor = this.db): Promise<CreateOutcome> {
    const r = input.request;
    const hooks = webhookColumns(r);
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
                                     guidance, seed, idempotency_key, request_hash, enqueued_at, webhook_url, webhook_events)
          values (${input.id}, ${input.apiKeyId}, ${r.name}, ${r.prompt}, ${r.negativePrompt ?? null}, ${r.model},
                  ${r.width}, ${r.height}, ${r.steps}, ${r.guidance}, ${r.seed ?? null}, ${input.idempotencyKey},
                  ${input.requestHash}, ${input.enqueued ? sql`now()` : sql`null`}, ${hooks.webhookUrl}::text,
                  ${textArrayOf(hooks.webhookEvents)})
          on conflict do nothing
          returning ${GENERATION_COLUMNS}
        ), e as (${this.events.appendWhen('g', [event])})
        select * from g`,
    );
    if (inserted) return { generation: toGenerationRecord(inserted), created: true };
    return this.existing(input, tx);
  }

  /** The generation an insert that did nothing ran into: the original, or a conflict. */
  async existing(input: NewGeneration, tx: Executor = this.db): Promise<CreateOutcome> {
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
    input: NewGeneration,
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
                                     guidance, seed, idempotency_key, request_hash, enqueued_at, webhook_url,
                                     webhook_events)
          select ${v.id}::uuid, caller.id, ${v.name}::text, ${v.prompt}::text, ${v.negativePrompt}::text,
                 ${v.model}::text, ${v.width}::int, ${v.height}::int, ${v.steps}::int, ${v.guidance}::real,
                 ${v.seed}::int, ${v.idempotencyKey}::text, ${v.requestHash}::text,
                 case when ${v.enqueued}::boolean then now() end, ${v.webhookUrl}::text,
                 ${textArrayOf(v.webhookEvents)}
          from caller
          on conflict do nothing
          returning ${GENERATION_COLUMNS}
        ), e as (${this.events.joined.sqlFor('g', this.events.joined.shape(event), v)})
        select auth.*, g.* from auth left join g on true`,
    );
    const [row] = await statement<KeyAuthRow & Partial<GenerationRow>>(this.db, {
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
      ...webhookColumns(r),
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
}
