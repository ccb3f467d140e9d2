import type { MaintenanceStep } from '../run-maintenance.ts';
import { continueRetryBatches, type RetryDeps } from './process-retry-batch.ts';

/** Deletes resolved and archived failed messages older than the retention setting. */
export function retentionStep(deps: {
  retentionDays(): Promise<number>;
  deleteExpired(days: number): Promise<{ deleted: number; groupsDeleted: number }>;
}): MaintenanceStep {
  return {
    name: 'failed-message-retention',
    run: async () => {
      const days = await deps.retentionDays();
      return { days, ...(await deps.deleteExpired(days)) };
    },
  };
}

/** Continues retry batches a previous run (or a crashed API call) left open. */
export function continueRetryBatchesStep(deps: () => Promise<RetryDeps>): MaintenanceStep {
  return { name: 'retry-batches', run: async () => continueRetryBatches(await deps()) };
}
