// The dead-letter queue → the failed-message store: each record one dead-lettering; a record that
// could not be stored goes back to the DLQ (a database outage must not drop it).
import { createDeadLetterHandler } from '@genledger/wiring/dead-letter';

export const handler = createDeadLetterHandler();
