// The floor of a cold start, bundled as the functions are: a handler that opens one pg connection
// and runs the one statement the request needs (an INSERT for a POST or an SQS record, a SELECT by
// id for a GET), with no framework, validation, authentication or events. Both the lean and the
// naive bundle of a real function stand on it (bench: cold-start).
import pg from 'pg';

let client: pg.Client | undefined;

export async function handler(event: {
  requestContext?: { http?: { method?: string } };
  rawPath?: string;
  Records?: unknown[];
}) {
  if (!client) {
    client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
  }
  const table = `"${process.env.DB_SCHEMA}".generations`;
  const method = event.requestContext?.http?.method;
  if (method === 'GET') {
    const id = event.rawPath?.split('/').pop();
    const r = await client.query(`select * from ${table} where id = $1`, [id]);
    return { statusCode: r.rows.length ? 200 : 404, body: JSON.stringify(r.rows[0] ?? null) };
  }
  const r = await client.query(`insert into ${table} (id, prompt) values ($1, $2) returning *`, [
    crypto.randomUUID(),
    'cold',
  ]);
  return event.Records ? { batchItemFailures: [] } : { statusCode: 202, body: JSON.stringify(r.rows[0]) };
}
