// The webhook DLQ → failed messages (type webhook.delivery), where operators retry, archive, resolve.
import { createWebhookDeadLetterHandler } from '@genledger/wiring/webhooks';

export const handler = createWebhookDeadLetterHandler();
