// What both floor handlers do once connected (bare-handler.ts on pg, bare-neon-handler.ts on Neon's
// driver): the one statement the request needs, an INSERT for a POST or an SQS record, a SELECT
// by id for a GET.

export interface BareEvent {
  requestContext?: { http?: { method?: string } };
  rawPath?: string;
  Records?: unknown[];
}

interface Queryable {
  query(text: string, values: unknown[]): Promise<{ rows: unknown[] }>;
}

export async function bareStatement(client: Queryable, event: BareEvent) {
  const table = `"${process.env.DB_SCHEMA}".generations`;
  if (event.requestContext?.http?.method === 'GET') {
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
