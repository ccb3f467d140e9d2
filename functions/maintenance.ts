// Scheduled maintenance: re-send what never reached the queue, advance projections, retention,
// retry batches. The summary is the invocation's result.
import { createMaintenanceHandler } from '@genledger/wiring/maintenance';

export const handler = createMaintenanceHandler();
