// `npm run migrate`: applies pending migrations to DATABASE_URL / DB_SCHEMA (or the embedded database).
import { isAppError } from '@genledger/core/errors';
import { openDatabase, verifyConnection } from './connect.ts';
import { migrate } from './migrator.ts';

async function main() {
  const database = await openDatabase();
  try {
    await verifyConnection(database);
    const report = await migrate(database);
    const what = report.applied.length ? `applied ${report.applied.join(', ')}` : 'already up to date';
    console.log(`migrate: ${database.target} schema "${report.schema}": ${what} (${report.durationMs} ms)`);
  } finally {
    await database.close();
  }
}

main().catch((e: unknown) => {
  console.error(
    `migrate: ${isAppError(e) ? e.message : e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
  );
  process.exit(1);
});
