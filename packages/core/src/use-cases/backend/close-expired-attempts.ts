import type { BackendAttemptDeps } from './settle-outcome.ts';

/**
 * Maintenance's step for attempts past their deadline with no outcome: each is a transient
 * failure (`GeneratorDeadlineExceeded`), retried when its held delivery comes back — or dead-lettered, when that was its last receive.
 */
export async function closeExpiredAttempts(
  deps: Pick<BackendAttemptDeps, 'lifecycle' | 'clock' | 'logger'>,
  limit = 100,
): Promise<{ closed: number }> {
  const now = deps.clock.now();
  const expired = await deps.lifecycle.listExpired(now, limit);
  let closed = 0;
  for (const a of expired) {
    const recorded = await deps.lifecycle.failAttempt({
      generationId: a.generationId,
      attempt: a.attempt,
      model: a.model,
      error: {
        type: 'GeneratorDeadlineExceeded',
        message: `no outcome from the backend within its deadline`,
      },
      durationMs: Math.max(0, now.getTime() - a.startedAt.getTime()),
      retriable: true,
    });
    if (recorded) closed++;
  }
  if (closed > 0) deps.logger.warn('attempts past their deadline closed', { closed });
  return { closed };
}
