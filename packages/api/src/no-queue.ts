import type { Queue } from '@genledger/core/ports/queue';

/**
 * The queue used while none is configured (no QUEUE_URL, or `npm start` before the local queue is
 * wired in): every entry is reported as not sent. The submit use case then marks the generation
 * not-enqueued, so it stays pending and the maintenance sweep sends it once a queue exists —
 * nothing accepted is lost.
 */
export const noQueue: Queue = {
  async send(messages) {
    return { failed: messages.map((m) => ({ generationId: m.generationId, error: 'no queue configured' })) };
  },
};
