import type { GenerationRecord } from '@genledger/core/contracts/generation';
import { sql } from 'drizzle-orm';
import { columnTables } from '../schema/tables.ts';
import { rowDecoder } from '../table-rows.ts';

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
    'outputs',
    'error_message',
    'attempts',
    'created_at',
    'updated_at',
    'started_at',
    'completed_at',
    'duration_ms',
    'enqueued_at',
    'webhook_url',
    'webhook_events',
  ].join(', '),
);

/** A generations row as a statement returns it: SQL column names, values as the driver hands them. */
export type GenerationRow = Record<string, unknown> & { id: string };

/** Rows as drizzle types them (`$inferSelect`), decoded by the generations table's own columns. */
const decodeGeneration = rowDecoder(() => columnTables().generations);

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
    outputs: g.outputs ?? [],
    errorMessage: g.errorMessage,
    attempts: g.attempts,
    createdAt: g.createdAt.toISOString(),
    updatedAt: g.updatedAt.toISOString(),
    startedAt: isoOrNull(g.startedAt),
    completedAt: isoOrNull(g.completedAt),
    durationMs: g.durationMs,
    webhook: g.webhookUrl,
    webhookEvents: g.webhookEvents
      ? (g.webhookEvents.map((e) => e.replace(/^generation\./, '')) as GenerationRecord['webhookEvents'])
      : null,
  };
}
