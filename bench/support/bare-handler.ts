// The floor of a cold start, bundled as the functions are: a handler that opens one pg connection
// and runs the one statement the request needs (an INSERT for a POST or an SQS record, a SELECT by
// id for a GET), with no framework, validation, authentication or events. Both the lean and the
// naive bundle of a real function stand on it (bench: cold-start).
import pg from 'pg';
import { type BareEvent, bareStatement } from './bare-statement.ts';

let client: pg.Client | undefined;

export async function handler(event: BareEvent) {
  if (!client) {
    client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
  }
  return bareStatement(client, event);
}
