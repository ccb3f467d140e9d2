// The floor of a cold start on the deployed driver: bare-handler.ts with Neon's serverless driver
// (one WebSocket connection, the one statement) in place of pg (bench: cold-start).
import type { Client } from '@neondatabase/serverless';
import { type BareEvent, bareStatement } from './bare-statement.ts';
import { neonClient } from './neon-client.ts';

let client: Client | undefined;

export async function handler(event: BareEvent) {
  client ??= await neonClient();
  return bareStatement(client, event);
}
