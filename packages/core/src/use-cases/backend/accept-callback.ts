import { AppError, notFound } from '../../errors.ts';
import type { IncomingCallback } from '../../ports/backend.ts';
import { callbackTokenHash } from './callback-token.ts';
import { type BackendAttemptDeps, type SettleResult, settleBackendOutcome } from './settle-outcome.ts';

/**
 * A backend's callback on `/callbacks/{token}`. An unknown token is not found and writes nothing;
 * a body whose signature does not verify (Replicate signs with Standard Webhooks) is refused; a
 * callback for an attempt that has ended is acknowledged and ignored, so the backend stops
 * repeating it. Answers fast: the outputs are copied here, everything else is one guarded write.
 */
export async function acceptCallback(
  deps: BackendAttemptDeps,
  token: string,
  callback: IncomingCallback,
): Promise<SettleResult> {
  const attempt = await deps.lifecycle.findByCallbackToken(callbackTokenHash(token));
  if (!attempt) throw notFound('no attempt has this callback URL');
  const report = await deps.backend.readCallback(callback);
  if (!report) throw new AppError('unauthorized', 'the callback signature does not verify');
  if (report.backendId !== undefined && attempt.backendId !== null && report.backendId !== attempt.backendId)
    throw new AppError('validation', 'the callback names another job than this attempt submitted');
  return settleBackendOutcome(deps, attempt, report.outcome);
}
