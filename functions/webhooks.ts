// The webhook queue → signed deliveries: each record one POST; 2xx or 410 acknowledged, anything
// else back to the queue after its backoff (its visibility changed), and after the last receive the DLQ.
import { createWebhookHandler } from '@genledger/wiring/webhooks';

export const handler = createWebhookHandler();
