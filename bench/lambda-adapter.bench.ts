// The API Gateway v2 adapter: ours (`@genledger/api/lambda-adapter`) against `hono/aws-lambda`'s
// `handle` (the baseline), on the captured payload 2.0 event, through the same small Hono app.
// Also prints what each answers for the cases docs/http.md names (encoded # and ?, header values
// above U+00FF, an event that is not payload 2.0).
import { readFileSync } from 'node:fs';
import { requestFromEvent, resultFromResponse } from '@genledger/api/lambda-adapter';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';

const N = Number(process.env.BENCH_ADAPTER_EVENTS ?? 30_000);

export default async function lambdaAdapterBench() {
  const app = new Hono();
  app.get('/health', (c) => c.json({ ok: true, ua: c.req.header('user-agent') ?? null }));
  app.put('/settings/:key', (c) => c.json({ key: c.req.param('key') }));
  const own = async (e: APIGatewayProxyEventV2) => resultFromResponse(await app.fetch(requestFromEvent(e)));
  const hono = handle(app) as unknown as (
    e: APIGatewayProxyEventV2,
  ) => Promise<{ statusCode: number; body?: string }>;
  const base = JSON.parse(
    readFileSync(new URL('../test/fixtures/apigw-v2-post.json', import.meta.url), 'utf8'),
  );
  const event = (method: string, rawPath: string, headers: Record<string, string> = {}) => {
    const e = structuredClone(base);
    Object.assign(e, { rawPath, rawQueryString: '' });
    Object.assign(e.requestContext.http, { method, path: rawPath });
    e.headers = { ...e.headers, ...headers };
    if (method === 'GET') delete e.body;
    return e as APIGatewayProxyEventV2;
  };
  const cases = {
    'PUT /settings/a%23x (rawPath decoded)': event('PUT', '/settings/a#x'),
    'PUT /settings/a%3Fb (rawPath decoded)': event('PUT', '/settings/a?b'),
    'user-agent in CJK, x-title: €': event('GET', '/health', {
      'x-title': '€',
      'user-agent': 'クライアント',
    }),
    'no requestContext.http': (() => {
      const e = event('GET', '/health') as unknown as { requestContext: Record<string, unknown> };
      delete e.requestContext.http;
      return e as unknown as APIGatewayProxyEventV2;
    })(),
  };
  const answers: Record<string, { own: string; hono: string }> = {};
  for (const [name, e] of Object.entries(cases)) {
    const run = async (fn: typeof own) =>
      fn(structuredClone(e)).then(
        (r) => `${r.statusCode} ${String(r.body).slice(0, 60)}`,
        (err: unknown) => `throws: ${(err as Error).message.slice(0, 60)}`,
      );
    answers[name] = { own: await run(own), hono: await run(hono as typeof own) };
    console.log(`${name}\n  own:    ${answers[name].own}\n  handle: ${answers[name].hono}`);
  }
  // Alternating rounds, best of each: the machine is shared.
  const best = { own: Number.POSITIVE_INFINITY, hono: Number.POSITIVE_INFINITY };
  const hot = event('GET', '/health');
  for (let round = 0; round < 6; round++) {
    for (const which of round % 2 ? (['hono', 'own'] as const) : (['own', 'hono'] as const)) {
      const fn = which === 'own' ? own : (hono as typeof own);
      const t = performance.now();
      for (let i = 0; i < N; i++) await fn(hot);
      if (round >= 2) best[which] = Math.min(best[which], ((performance.now() - t) * 1000) / N);
    }
  }
  const figures = {
    ownMicrosPerEvent: Number(best.own.toFixed(1)),
    honoHandleMicrosPerEvent: Number(best.hono.toFixed(1)),
    ratioToHandle: Number((best.own / best.hono).toFixed(2)),
  };
  console.log(
    `own ${figures.ownMicrosPerEvent} µs/event, handle ${figures.honoHandleMicrosPerEvent} µs/event: ×${figures.ratioToHandle}`,
  );
  return { ...figures, answers };
}
