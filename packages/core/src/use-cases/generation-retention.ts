import type { OutputStore } from '../ports/output-store.ts';
import type { MaintenanceStep } from './run-maintenance.ts';

export interface GenerationRetentionDeps {
  /** The `retention.generationDays` setting; 0 keeps every generation. */
  retentionDays(): Promise<number>;
  generations: {
    findExpired(before: Date, limit: number): Promise<string[]>;
    deleteExpired(ids: readonly string[], before: Date): Promise<number>;
  };
  outputs: Pick<OutputStore, 'deleteGeneration'>;
  now(): Date;
  /** Generations one run deletes at most; the next run continues (default 200). */
  limit?: number;
}

/**
 * Deletes finished generations older than the retention setting, outputs first: a run that stops
 * between the two leaves rows whose outputs the next run deletes again (deleting nothing is not an
 * error), never outputs that no row points to.
 */
export function generationRetentionStep(deps: GenerationRetentionDeps): MaintenanceStep {
  return {
    name: 'generation-retention',
    run: async () => {
      const days = await deps.retentionDays();
      if (days === 0) return { days, deleted: 0 };
      const before = new Date(deps.now().getTime() - days * 86_400_000);
      const ids = await deps.generations.findExpired(before, deps.limit ?? 200);
      for (const id of ids) await deps.outputs.deleteGeneration(id);
      return { days, deleted: await deps.generations.deleteExpired(ids, before) };
    },
  };
}
