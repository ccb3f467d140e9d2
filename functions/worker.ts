// SQS → the generation worker: each record through the use case, the ones to retry reported as
// partial batch failures. Wiring lives in @genledger/wiring.
import { createWorkerHandler } from '@genledger/wiring/worker';

export const handler = createWorkerHandler();
