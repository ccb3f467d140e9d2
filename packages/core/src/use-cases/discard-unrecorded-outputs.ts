import type { GenerationLifecyclePort } from '../ports/generation-lifecycle.ts';
import type { Logger } from '../ports/logger.ts';

export interface DiscardOutputsDeps {
  lifecycle: Pick<GenerationLifecyclePort, 'recordedOutputKeys'>;
  /** The output store's `delete`. */
  deleteOutputs(keys: readonly string[]): Promise<void>;
  logger: Logger;
}

/**
 * Deletes what an attempt wrote to the output store and its generation's record does not hold, on
 * every path where an attempt wrote and did not complete: its completion found it ended, or
 * keeping its outputs failed part-way (docs/outputs.md#what-an-attempt-leaves-behind). Keys name
 * their bytes, so a repeat of the recorded bytes wrote the recorded keys again: those are never
 * deleted. `recorded`: the record's keys, when the caller's statement read them already (a
 * callback's completion); otherwise they are read here, and nothing is deleted while the attempt is
 * still open (its completion may yet record them, a retry writes the same bytes over the same
 * keys). Best effort: a failure is logged and retention removes the objects with the generation.
 */
export async function discardUnrecordedOutputs(
  deps: DiscardOutputsDeps,
  ref: { generationId: string; attempt: number },
  written: readonly string[],
  recorded?: readonly string[],
): Promise<void> {
  if (!written.length) return;
  try {
    let keep = recorded;
    if (!keep) {
      const record = await deps.lifecycle.recordedOutputKeys(ref.generationId, ref.attempt);
      if (record.attempt === 'open') return;
      keep = record.keys;
    }
    const stale = [...new Set(written)].filter((k) => !keep.includes(k));
    if (stale.length) await deps.deleteOutputs(stale);
  } catch (e) {
    deps.logger.warn('could not delete the outputs an attempt did not record; retention removes them', {
      ...ref,
      keys: written.length,
      error: e instanceof Error ? e.message : String(e),
    });
  }
}
