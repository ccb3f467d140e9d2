import type { RuntimeChecks } from '@genledger/core/ports/health';
import type { Database } from '@genledger/db/connect';
import type { AppDeps } from '../deps.ts';

/** What the operator console needs: the API's ports, its read queries' database and its signing key. */
export interface ConsoleDeps extends AppDeps {
  console: {
    database: Pick<Database, 'db' | 'schema'>;
    sessionSecret: string;
    /** Checks the overview shows beside the database's (queue, generator backend), when the runtime has them. */
    checks?: RuntimeChecks;
  };
}
