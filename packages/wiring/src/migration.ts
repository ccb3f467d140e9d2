import { openDatabase, verifyConnection } from '@genledger/db/connect';
import { migrate } from '@genledger/db/migrator';
import { ensureAdminKey } from './admin-key.ts';
import { type LinkedResources, linkedEnvironment } from './linked-environment.ts';

export interface MigrateResult {
  schema: string;
  applied: string[];
  alreadyApplied: number;
  durationMs: number;
  adminKey: 'created' | 'present' | 'unusable' | 'not configured';
}

/**
 * Deploy-time migration over the direct endpoint, under the advisory lock, then ADMIN_API_KEY
 * ensured. Any failure throws, so the deploy fails instead of serving code against an old schema.
 */
export async function runMigration(
  env: NodeJS.ProcessEnv = process.env,
  resources?: LinkedResources,
): Promise<MigrateResult> {
  const resolved = linkedEnvironment(env, 'migrate', resources);
  const database = await openDatabase({ pool: { max: 1 } }, resolved);
  try {
    await verifyConnection(database);
    const report = await migrate(database);
    const ensured = await ensureAdminKey(database, resolved.ADMIN_API_KEY);
    const adminKey: MigrateResult['adminKey'] = !ensured
      ? 'not configured'
      : ensured.created
        ? 'created'
        : ensured.usable
          ? 'present'
          : 'unusable';
    const result = { ...report, adminKey };
    console.log(JSON.stringify({ level: 'info', msg: 'migration finished', ...result }));
    return result;
  } finally {
    await database.close();
  }
}
