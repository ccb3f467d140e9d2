// Deploy-time migration (invoked by `sst deploy` when migrations change; by hand: `npm run migrate`).
// Thin: open the direct endpoint, migrate under the advisory lock, ensure ADMIN_API_KEY, report.
// Any failure throws, so the deploy fails instead of serving code against an old schema.
import { linkedEnvironment } from '@genledger/core/config/linked-resources';
import { ApiKeyStore } from '@genledger/db/api-key-store';
import { openDatabase, verifyConnection } from '@genledger/db/connect';
import { EventStore } from '@genledger/db/event-store';
import { migrate } from '@genledger/db/migrator';

export interface MigrateResult {
  schema: string;
  applied: string[];
  alreadyApplied: number;
  durationMs: number;
  adminKey: 'created' | 'present' | 'unusable' | 'not configured';
}

export async function runMigration(env: NodeJS.ProcessEnv = process.env): Promise<MigrateResult> {
  const resolved = linkedEnvironment(env, 'migrate');
  const database = await openDatabase({ pool: { max: 1 } }, resolved);
  try {
    await verifyConnection(database);
    const report = await migrate(database);
    let adminKey: MigrateResult['adminKey'] = 'not configured';
    if (resolved.ADMIN_API_KEY) {
      const ensured = await new ApiKeyStore(database, new EventStore(database)).ensureAdminKey(
        resolved.ADMIN_API_KEY,
      );
      adminKey = ensured.created ? 'created' : ensured.usable ? 'present' : 'unusable';
    }
    const result = { ...report, adminKey };
    console.log(JSON.stringify({ level: 'info', msg: 'migration finished', ...result }));
    return result;
  } finally {
    await database.close();
  }
}

export const handler = () => runMigration();
