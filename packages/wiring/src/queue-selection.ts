import { sqsQueue } from '@genledger/adapters/sqs-queue';
import type { Queue } from '@genledger/core/ports/queue';

/**
 * The one place that decides where accepted generations go: SQS when QUEUE_URL is known (deployed:
 * the linked `Queue`), otherwise none — each caller says what "none" means for it (the API keeps
 * generations pending, maintenance skips re-sending, `npm start` runs its local queue).
 */
export function configuredQueue(env: NodeJS.ProcessEnv): { queue: Queue; description: string } | undefined {
  return env.QUEUE_URL ? { queue: sqsQueue(env.QUEUE_URL), description: `SQS ${env.QUEUE_URL}` } : undefined;
}
