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
