import { streams } from '@genledger/core/contracts/events';
import { webhookColumns } from '@genledger/core/contracts/generation';
import { conflict } from '@genledger/core/errors';
import type {
  EditCandidate,
  EditedGeneration,
  EditPlan,
} from '@genledger/core/use-cases/failed-messages/edit-and-retry';
import { sql } from 'drizzle-orm';
import { type Executor, rowsOf } from '../executor.ts';
import { moveStatus } from './change-status.ts';
import type { FailedMessageContext } from './context.ts';

export interface EditOptions {
  requestedBy: string | null;
  reason: string;
  metadata?: Record<string, unknown>;
}

/**
 * An edit and its retry in one transaction. Locks the message, reads its generation, lets `plan`
 * decide, then writes in the order every writer locks (the message, its groups through their
 * counters, then the generation: test/db/lock-order.test.ts): a retry
 * batch of this one message whose selector carries the edit, the edited body as what retries
 * send (`edited_body`; `body` stays as the message failed), the message to retry_issued, the
 * edited request onto a failed generation back to pending, and the events of each.
 */
export function editForRetry(
  ctx: FailedMessageContext,
  edit: { id: string; generationId: string },
  plan: (candidate: EditCandidate | undefined, generation: EditedGeneration | undefined) => EditPlan,
  options: EditOptions,
): Promise<{ retryBatchId: string; plan: EditPlan }> {
  return ctx.db.transaction(async (tx) => {
    const [candidate] = await rowsOf<EditCandidate>(
      tx.execute(sql`
        select id, status, invalid, message_type as "messageType", generation_id as "generationId", body
        from ${ctx.t.messages} where id = ${edit.id} for update`),
    );
    const generationId = candidate?.generationId ?? edit.generationId;
    const [generation] = await rowsOf<EditedGeneration>(
      tx.execute(sql`
        select id, status, idempotency_key as "idempotencyKey"
        from ${ctx.t.generations} where id = ${generationId}`),
    );
    const decided = plan(candidate, generation);
    const retryBatchId = crypto.randomUUID();
    const selector = { ids: [edit.id], reason: options.reason, edit: { changes: decided.changes } };
    await tx.execute(sql`
      insert into ${ctx.t.batches} (id, requested_by, selector, status, total, skipped)
      values (${retryBatchId}, ${options.requestedBy}, ${JSON.stringify(selector)}::jsonb, 'pending', 1, 0)`);
    await tx.execute(sql`
      update ${ctx.t.messages} set edited_body = ${decided.retryBody},
             generation_id = coalesce(generation_id, ${decided.generationId})
      where id = ${edit.id}`);
    await moveStatus(tx, ctx, [edit.id], 'retry_issued', retryBatchId, options.metadata);
    // Read unlocked, so the generation is taken after the groups: one that left `failed` since
    // (a re-run from its page) rolls the whole edit back.
    if (generation && !(await requeueEdited(tx, ctx, decided, retryBatchId, options.metadata)))
      throw conflict(`generation ${generation.id} changed while editing; try again`);
    await ctx.events.appendAll(
      [
        {
          streamId: streams.failedMessage(edit.id),
          event: {
            type: 'FailedMessageEdited',
            failedMessageId: edit.id,
            generationId: decided.generationId,
            retryBatchId,
            reason: options.reason,
            changes: decided.changes,
          },
          ...(options.metadata ? { metadata: options.metadata } : {}),
        },
      ],
      { tx },
    );
    return { retryBatchId, plan: decided };
  });
}

/** The failed generation takes the edited request and waits for the re-sent message again. */
async function requeueEdited(
  tx: Executor,
  ctx: FailedMessageContext,
  decided: EditPlan,
  retryBatchId: string,
  metadata: Record<string, unknown> | undefined,
): Promise<boolean> {
  const r = decided.message.request;
  const hooks = webhookColumns(r);
  const rows = await rowsOf<{ id: string }>(
    tx.execute(sql`
    with g as (
      update ${ctx.t.generations} set
        name = ${r.name}, prompt = ${r.prompt}, negative_prompt = ${r.negativePrompt ?? null},
        model = ${r.model}, width = ${r.width}, height = ${r.height}, steps = ${r.steps},
        guidance = ${r.guidance}, seed = ${r.seed ?? null},
        webhook_url = ${hooks.webhookUrl},
        webhook_events = (select array_agg(x) from jsonb_array_elements_text(${hooks.webhookEvents}::jsonb) x),
        status = 'pending', completed_at = null, error_message = null, updated_at = now()
      where id = ${decided.generationId} and status = 'failed'
      returning id, model
    ), e as (${ctx.events.appendForEach('g', {
      stream: streams.generation(decided.generationId),
      event: {
        type: 'GenerationRequeued',
        generationId: decided.generationId,
        model: r.model,
        retryBatchId,
      },
      metadata,
    })})
    select id from g`),
  );
  return rows.length > 0;
}
