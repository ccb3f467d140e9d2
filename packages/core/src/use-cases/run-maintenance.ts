import type { GenerationRecord } from '../contracts/generation.ts';
import { generationRequested } from '../contracts/queue-message.ts';
import { safeMessage } from '../error-summary.ts';
import type { Clock } from '../ports/clock.ts';
import type { Logger } from '../ports/logger.ts';
import type { Queue } from '../ports/queue.ts';

export interface MaintenanceStep {
  name: string;
  run(): Promise<Record<string, unknown>>;
}

export interface MaintenanceDeps {
  generations: {
    findUnsent(options: {
      notEnqueuedBefore: Date;
      staleBefore: Date;
      runningStaleBefore: Date;
      limit: number;
    }): Promise<GenerationRecord[]>;
    markEnqueued(ids: readonly string[]): Promise<void>;
  };
  /** Undefined when no queue is configured: re-sending is skipped and said so. */
  queue: Queue | undefined;
  /** Async projections to advance (each catches up with the feed). */
  projections: { name: string; catchUp(): Promise<{ processed: number }> }[];
  /** Further steps (failed-message retention, resuming retry batches, …). */
  steps?: MaintenanceStep[];
  logger: Logger;
  clock: Clock;
  /** A generation not enqueued for this long is re-sent (its send failed). */
  notEnqueuedAfterMs?: number;
  /**
   * A pending generation — never started, or waiting after a failed attempt — with nothing sent or
   * changed for this long is re-sent: its message was lost (the process died mid-send). Keep it
   * above the queue's visibility timeout, so a message merely in flight is not sent twice.
   */
  stalePendingAfterMs?: number;
  /**
   * A running attempt this old is presumed dead (the worker's own threshold, WORKER_STALE_AFTER_S):
   * its generation is re-sent once `stalePendingAfterMs` has passed too, and the worker takes it over.
   */
  staleRunningAfterMs?: number;
  resendLimit?: number;
}

export interface MaintenanceSummary {
  resent: number;
  resendFailed: number;
  resendSkipped?: string;
  projections: Record<string, number>;
  steps: Record<string, unknown>;
  errors: { step: string; error: string }[];
  durationMs: number;
}

/**
 * The scheduled job. Each step runs on its own: one that fails is reported and the others still
 * run, so a broken projection never stops re-sends.
 */
export async function runMaintenance(deps: MaintenanceDeps): Promise<MaintenanceSummary> {
  const started = Date.now();
  const summary: MaintenanceSummary = {
    resent: 0,
    resendFailed: 0,
    projections: {},
    steps: {},
    errors: [],
    durationMs: 0,
  };
  const now = deps.clock.now().getTime();

  try {
    if (!deps.queue) summary.resendSkipped = 'no queue configured';
    else {
      const stalePendingAfterMs = deps.stalePendingAfterMs ?? 15 * 60_000;
      const unsent = await deps.generations.findUnsent({
        notEnqueuedBefore: new Date(now - (deps.notEnqueuedAfterMs ?? 60_000)),
        staleBefore: new Date(now - stalePendingAfterMs),
        // Sooner, the worker would only hand the new message back while the attempt looks alive.
        runningStaleBefore: new Date(now - Math.max(stalePendingAfterMs, deps.staleRunningAfterMs ?? 0)),
        limit: deps.resendLimit ?? 500,
      });
      if (unsent.length) {
        const result = await deps.queue.send(unsent.map(generationRequested));
        const failed = new Set(result.failed.map((f) => f.generationId));
        const sent = unsent.filter((g) => !failed.has(g.id)).map((g) => g.id);
        await deps.generations.markEnqueued(sent);
        summary.resent = sent.length;
        summary.resendFailed = failed.size;
      }
    }
  } catch (e) {
    summary.errors.push({ step: 'resend', error: safeMessage(e) });
  }

  for (const p of deps.projections) {
    try {
      summary.projections[p.name] = (await p.catchUp()).processed;
    } catch (e) {
      summary.errors.push({
        step: `projection:${p.name}`,
        error: safeMessage(e),
      });
    }
  }
  for (const step of deps.steps ?? []) {
    try {
      summary.steps[step.name] = await step.run();
    } catch (e) {
      summary.errors.push({ step: step.name, error: safeMessage(e) });
    }
  }
  summary.durationMs = Date.now() - started;
  const log = summary.errors.length ? deps.logger.warn : deps.logger.info;
  log('maintenance run', { ...summary });
  return summary;
}
