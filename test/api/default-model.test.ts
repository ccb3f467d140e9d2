// The `generation.defaultModel` setting: the model of a request that names none, over HTTP and
// from a queue producer, while a request that names one keeps it and a replay stays the same request.
import { describe, expect, it } from 'vitest';
import { useDatabases } from '../support/databases.ts';
import { ADMIN_KEY, HTTP_TARGETS, useHttpApi } from '../support/http-api.ts';

const dbs = useDatabases();

describe.each(HTTP_TARGETS)('generation.defaultModel on %s', (target) => {
  const http = useHttpApi(dbs, target);
  const { api, newKey } = http;

  it('gives a request without a model the setting’s model; a named model and a replay are kept', async () => {
    // Set before this app's first request without a model: its reader has read nothing yet.
    const put = await api.put('/settings/generation.defaultModel', {
      key: ADMIN_KEY,
      body: { value: 'flux-dev' },
    });
    expect(put.status).toBe(200);
    const k = await newKey();
    const unnamed = await api.post('/generations', { key: k.key, body: { prompt: 'no model named' } });
    expect(unnamed.status).toBe(202);
    expect(unnamed.body.model).toBe('flux-dev');
    const named = await api.post('/generations', { key: k.key, body: { prompt: 'named', model: 'sdxl' } });
    expect(named.body.model).toBe('sdxl');

    // The same Idempotency-Key and body: the original, not a 409, and not a second generation.
    const first = await api.post('/generations', {
      key: k.key,
      body: { prompt: 'replayed' },
      headers: { 'idempotency-key': 'default-model-1' },
    });
    const again = await api.post('/generations', {
      key: k.key,
      body: { prompt: 'replayed' },
      headers: { 'idempotency-key': 'default-model-1' },
    });
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: first.body.id, model: 'flux-dev' });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });
});
