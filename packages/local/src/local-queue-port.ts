import { GenerationRequestedMessage, MESSAGE_TYPE } from '@genledger/core/contracts/queue-message';
import { safeMessage } from '@genledger/core/error-summary';
import type { Queue } from '@genledger/core/ports/queue';
import type { LocalQueue } from './local-queue.ts';

/** The Queue port over a LocalQueue, with the attributes the SQS producer sets. */
export function localQueuePort(queue: LocalQueue): Queue {
  return {
    async send(messages) {
      const failed: { generationId: string; error: string }[] = [];
      for (const input of messages) {
        const m = GenerationRequestedMessage.parse(input);
        try {
          await queue.send(JSON.stringify(m), { type: MESSAGE_TYPE, generationId: m.generationId });
        } catch (e) {
          // As SQS reports a refused entry: the generation stays not-enqueued and maintenance re-sends it.
          // The error is logged by the caller: never the driver's message, which quotes the body.
          failed.push({ generationId: m.generationId, error: safeMessage(e) });
        }
      }
      return { failed };
    },
  };
}
