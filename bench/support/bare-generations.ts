// What the benches' bare handlers share, the floor the app is compared with: a request's JSON body
// read whole (callback style, no promise added to the floor), and the one raw INSERT of a POST.
import type { IncomingMessage } from 'node:http';
import type pg from 'pg';

export function readJson<T>(req: IncomingMessage, then: (body: T) => void) {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => then(JSON.parse(Buffer.concat(chunks).toString()) as T));
}

/** `POST /generations`'s floor: one INSERT of the request's fields, the row returned. */
export const insertGeneration = (
  pool: pg.Pool,
  table: string,
  b: { prompt: string; model: string; steps: number },
) =>
  pool.query(`insert into ${table} (id, prompt, model, steps) values ($1, $2, $3, $4) returning *`, [
    crypto.randomUUID(),
    b.prompt,
    b.model,
    b.steps,
  ]);
