/**
 * The README's walkthrough in TypeScript. The region between the markers is quoted in the README
 * word for word, after the line that makes the client
 * (`createGenledgerClient({ baseUrl: 'http://127.0.0.1:3000', apiKey: process.env.KEY })`), and
 * test/client/contract.test.ts runs this file against the API: the snippet compiles and works.
 */
import type { GenledgerClient } from '@genledger/client';

export async function walkthrough(gl: GenledgerClient) {
  // #region readme
  const { data: health } = await gl.GET('/health'); // { status: 'Degraded', checks }: embedded database

  const submitted = await gl.POST('/generations', {
    params: { header: { 'Idempotency-Key': 'order-42' } },
    body: { prompt: 'a lighthouse at dusk', seed: 7 },
  });
  if (submitted.error) throw new Error(submitted.error.detail); // a Problem (RFC 9457), typed
  const { id } = submitted.data; // a Generation, status 'pending'
  const again = await gl.POST('/generations', {
    params: { header: { 'Idempotency-Key': 'order-42' } },
    body: { prompt: 'a lighthouse at dusk', seed: 7 },
  });
  const replayed = again.response.headers.get('Idempotent-Replayed'); // 'true': the same generation

  const { data: generation } = await gl.GET('/generations/{id}', { params: { path: { id } } });
  const { data: runs } = await gl.GET('/generations/{id}/runs', { params: { path: { id } } });
  const { data: events } = await gl.GET('/generations/{id}/events', { params: { path: { id } } });
  const { data: page } = await gl.GET('/generations', {
    params: { query: { status: ['pending', 'completed'], q: 'lighthouse', sort: '-createdAt', limit: 20 } },
  }); // { items, nextCursor }: pass nextCursor back as `cursor` for the next page
  // #endregion readme
  return { health, submitted: submitted.data, again: again.data, replayed, generation, runs, events, page };
}
