// The API process of the request-cpu bench, in a process of its own so that its CPU time is the
// server's alone (the load generator runs in the bench's process): the local server (the app Lambda
// runs, served by @hono/node-server; the info log line written to /dev/null, an SQS stand-in that
// accepts every message), and beside it on the same process, pool size and
// PostgreSQL server the floor: a bare node:http handler doing one raw INSERT or SELECT by id, or,
// for a backend's callback, the one UPDATE that marks the run of the token's hash completed; and the
// stack's floor, the same libraries as the app doing the least (stack-server.ts). The
// app takes callbacks from a Cog backend (`GENERATOR_URL`, never called: a callback only reads the
// body) and keeps their outputs under a temporary DATA_DIR. `GET /cpu` on the bare server answers
// this process's `process.cpuUsage()`. Prints its three URLs as one JSON line. Env: DATABASE_URL,
// DB_SCHEMA.
import { createHash } from 'node:crypto';
import { mkdtempSync, openSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jsonLogger } from '@genledger/adapters/json-logger';
import { openDatabase } from '@genledger/db/connect';
import { startLocalServer } from '@genledger/local/server';
import pg from 'pg';
import { insertGeneration, readJson } from './bare-generations.ts';
import { startStackServer } from './stack-server.ts';

const POOL = 4;
const url = process.env.DATABASE_URL!;
const schema = process.env.DB_SCHEMA!;
const database = await openDatabase({ driver: 'pg', url, schema, pool: { max: POOL } }, {});
const devNull = openSync('/dev/null', 'w');
const app = await startLocalServer({
  database,
  port: 0,
  env: {
    CURSOR_SECRET: 'c'.repeat(40),
    DATA_DIR: mkdtempSync(join(tmpdir(), 'gl-cpu-')),
    GENERATOR_URL: 'cog+http://127.0.0.1:9/',
    // The attempt queue of an asynchronous backend; a completing callback sends nothing to it.
    QUEUE_URL: 'http://127.0.0.1:9/000000000000/cpu',
  },
  queue: { send: async () => ({ failed: [] }) },
  logger: jsonLogger('info', { fn: 'api' }, (line) => writeSync(devNull, `${line}\n`)),
});

const pool = new pg.Pool({ connectionString: url, max: POOL });
const table = `"${schema}".generations`;
const runs = `"${schema}".generation_runs`;
const bare = createServer((req, res) => {
  const reply = (status: number, text: string) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(text);
  };
  if (req.url === '/cpu') return reply(200, JSON.stringify(process.cpuUsage()));
  if (req.method === 'POST' && req.url?.startsWith('/callbacks/')) {
    const token = req.url.slice('/callbacks/'.length);
    readJson<{ status: string }>(req, ({ status }) =>
      pool
        .query(
          `update ${runs} set status = 'completed', completed_at = now() where callback_token_hash = $1 and status = 'running' and $2 = 'succeeded' returning generation_id`,
          [createHash('sha256').update(token).digest('hex'), status],
        )
        .then((r) => reply(200, JSON.stringify({ settled: r.rowCount ? 'completed' : 'ignored' }))),
    );
    return;
  }
  if (req.method === 'POST') {
    readJson<Parameters<typeof insertGeneration>[2]>(req, (b) =>
      insertGeneration(pool, table, b).then((r) => reply(202, JSON.stringify(r.rows[0]))),
    );
    return;
  }
  pool
    .query(`select * from ${table} where id = $1`, [req.url?.slice('/generations/'.length)])
    .then((r) => reply(200, JSON.stringify(r.rows[0])));
});
await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
const base = (a: AddressInfo) => `http://127.0.0.1:${a.port}`;
const stack = await startStackServer(new pg.Pool({ connectionString: url, max: POOL }), schema);
console.log(JSON.stringify({ app: app.url, bare: base(bare.address() as AddressInfo), stack }));
// The bench ends this process by closing its standard input.
process.stdin.on('end', () => process.exit(0)).resume();
