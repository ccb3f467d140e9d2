import type { MaintenanceStep } from './run-maintenance.ts';

export interface WebhookDeliveryRetentionDeps {
  /** The `retention.webhookDeliveryDays` setting. */
  retentionDays(): Promise<number>;
  /** Deletes up to `limit` finished deliveries created before `before`, with their attempts; how many. */
  deleteFinished(before: Date, limit: number): Promise<number>;
  now(): Date;
  /** Deliveries one statement deletes (default 1,000): short transactions, no long locks. */
  chunk?: number;
  /** Statements one run may spend (default 10); the next run continues. */
  maxChunks?: number;
}

/**
 * Deletes finished webhook deliveries (delivered, failed, skipped) older than the setting, by when
 * they were created, a chunk at a time. Pending and retrying ones stay whatever their age: their
 * retries end within about 29 hours, after which they are finished and go on the next runs.
 */
export function webhookDeliveryRetentionStep(deps: WebhookDeliveryRetentionDeps): MaintenanceStep {
  const chunk = deps.chunk ?? 1000;
  const maxChunks = deps.maxChunks ?? 10;
  return {
    name: 'webhook-delivery-retention',
    run: async () => {
      const days = await deps.retentionDays();
      const before = new Date(deps.now().getTime() - days * 86_400_000);
      let deleted = 0;
      for (let i = 0; i < maxChunks; i++) {
        const n = await deps.deleteFinished(before, chunk);
        deleted += n;
        if (n < chunk) return { days, deleted, more: false };
      }
      return { days, deleted, more: true };
    },
  };
}
