// API Gateway v2 (HTTP API) → the Hono app: the event becomes a Request, the app answers, the
// Response becomes the result. Wiring lives in @genledger/wiring; routes and rules in @genledger/api.
import { createApiHandler } from '@genledger/wiring/api';

export const handler = createApiHandler();
