import { type FailedMessageOperation, OPERATION_TO } from '@genledger/core/contracts/failed-messages';
import { eligibility, planStatusChange } from '@genledger/core/use-cases/failed-messages/change-status';
import type { FailedMessageStore } from '@genledger/db/failed-message-store';
import { message } from './sqs-events.ts';

/** A dead-lettering as the DLQ handler would record it, for a generation that does not exist. */
export function deadLetter(
  store: FailedMessageStore,
  overrides: Partial<Parameters<FailedMessageStore['ingest']>[0]> = {},
) {
  const m = message({ request: { prompt: `prompt ${overrides.messageId ?? ''} about lighthouses` } });
  return store.ingest({
    messageId: crypto.randomUUID(),
    body: JSON.stringify(m),
    attributes: {},
    receiveCount: 3,
    queue: 'arn:aws:sqs:local:0:main',
    failedAt: new Date(),
    generationId: m.generationId,
    messageType: 'generation.requested',
    model: 'sdxl',
    invalidReason: null,
    ...overrides,
  });
}

/**
 * A group operation through the store's own path with a small limit (the use case's is
 * MAX_PER_OPERATION, 10,000): what one run of it does, from `after` when given.
 */
export function changeGroup(
  store: FailedMessageStore,
  op: FailedMessageOperation,
  groupId: string,
  options: { limit: number; after?: string | null },
) {
  return store.changeStatus(
    {
      to: OPERATION_TO[op],
      retryBatch: op === 'retry',
      eligible: eligibility(op),
      limit: options.limit,
      ...(options.after ? { after: options.after } : {}),
    },
    { groupId },
    (candidates) => planStatusChange(op, { groupId }, candidates),
    { requestedBy: null },
  );
}
