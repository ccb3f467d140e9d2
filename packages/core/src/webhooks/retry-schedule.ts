/**
 * When a failed delivery is tried again: `baseS` after the first attempt, doubling after each one,
 * capped at SQS's longest visibility timeout (12 h). With the default 30 s base and
 * `WEBHOOK_MAX_ATTEMPTS` (13) receives before the dead-letter queue, the last attempt comes about
 * 29 hours after the first (30 s × (2¹¹ − 1) + 12 h).
 */
export const WEBHOOK_MAX_ATTEMPTS = 13;
export const MAX_VISIBILITY_S = 43_200;

export function retryDelaySeconds(attempt: number, baseS: number): number {
  return Math.min(baseS * 2 ** Math.max(0, attempt - 1), MAX_VISIBILITY_S);
}
