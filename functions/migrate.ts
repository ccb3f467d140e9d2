// Deploy-time migration (invoked by `sst deploy` when migrations change; by hand: `npm run migrate`).
import { runMigration } from '@genledger/wiring/migration';

export const handler = () => runMigration();
