import { GenerationRequestedMessage } from '../../contracts/queue-message.ts';
import { WebhookDeliveryMessage } from '../../contracts/webhooks.ts';
import type { Queue } from '../../ports/queue.ts';
import type { WebhookQueue } from '../../ports/webhooks.ts';

export interface RetryBatchPort {
  openBatches(): Promise<string[]>;
  nextUnsent(batchId: string, limit: number): Promise<{ id: string; body: string }[]>;
  recordProgress(
    batchId: string,
    sentIds: readonly string[],
    failed: number,
    lastError: string | null,
  ): Promise<void>;
  complete(batchId: string): Promise<void>;
}

export interface RetryDeps {
  batches: RetryBatchPort;
  queue: Queue;
  /** Where a dead-lettered webhook delivery goes back to; without it, such messages wait. */
  webhooks?: WebhookQueue;
  /** The 'retry.messagesPerSecond' setting: a group of 100,000 must not flood the backend. */
  messagesPerSecond: number;
  /** Stop starting new chunks after this time (epoch ms); what is left waits for the next run. */
  deadline: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RetryProgress {
  sent: number;
  failed: number;
  completed: boolean;
}

/**
 * Re-sends a retry batch's messages to the main queue, a chunk at a time, at most
 * `messagesPerSecond`. Progress is recorded per chunk, so a run that dies midway is continued by
 * the next one (`continueRetryBatches`) from exactly what was not yet recorded as sent.
 */
export async function processRetryBatch(deps: RetryDeps, batchId: string): Promise<RetryProgress> {
  const sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  const chunk = Math.max(1, Math.min(100, deps.messagesPerSecond));
  const progress: RetryProgress = { sent: 0, failed: 0, completed: false };
  while (Date.now() < deps.deadline) {
    const started = Date.now();
    const unsent = await deps.batches.nextUnsent(batchId, chunk);
    if (unsent.length === 0) {
      await deps.batches.complete(batchId);
      progress.completed = true;
      return progress;
    }
    const result = await sendChunk(deps, unsent);
    const failedIds = new Set(result.failed.map((f) => f.id));
    const sent = unsent.filter((u) => !failedIds.has(u.id)).map((u) => u.id);
    await deps.batches.recordProgress(batchId, sent, result.failed.length, result.failed[0]?.error ?? null);
    progress.sent += sent.length;
    progress.failed += result.failed.length;
    // The queue refused some: stop here; the next run tries the rest again.
    if (result.failed.length) return progress;
    const wait = (unsent.length / deps.messagesPerSecond) * 1000 - (Date.now() - started);
    if (wait > 0) await sleep(wait);
  }
  return progress;
}

/** A chunk to its queues: generation messages to the main queue, webhook deliveries to theirs. */
async function sendChunk(
  deps: RetryDeps,
  unsent: { id: string; body: string }[],
): Promise<{ failed: { id: string; error: string }[] }> {
  const byGeneration = new Map<string, string>();
  const byDelivery = new Map<string, string>();
  const messages = [];
  for (const u of unsent) {
    const json: unknown = JSON.parse(u.body);
    const hook = WebhookDeliveryMessage.safeParse(json);
    if (hook.success) {
      byDelivery.set(hook.data.deliveryId, u.id);
      continue;
    }
    const m = GenerationRequestedMessage.parse(json);
    byGeneration.set(m.generationId, u.id);
    messages.push(m);
  }
  const failed: { id: string; error: string }[] = [];
  if (messages.length) {
    const sent = await deps.queue.send(messages);
    for (const f of sent.failed) failed.push({ id: byGeneration.get(f.generationId)!, error: f.error });
  }
  if (byDelivery.size) {
    const hooks = deps.webhooks
      ? await deps.webhooks.send([...byDelivery.keys()])
      : { failed: [...byDelivery.keys()] };
    for (const id of hooks.failed)
      failed.push({ id: byDelivery.get(id)!, error: 'the webhook queue refused it' });
  }
  return { failed };
}

/** The maintenance step: continues every open batch within the time budget. */
export async function continueRetryBatches(deps: RetryDeps): Promise<Record<string, unknown>> {
  const open = await deps.batches.openBatches();
  let sent = 0;
  let failed = 0;
  let completed = 0;
  for (const id of open) {
    if (Date.now() >= deps.deadline) break;
    const p = await processRetryBatch(deps, id);
    sent += p.sent;
    failed += p.failed;
    if (p.completed) completed++;
  }
  return { open: open.length, sent, failed, completed };
}
