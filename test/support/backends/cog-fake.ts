import { json, PNG_1x1, pngDataUrl, startHttpFake } from './http-fake.ts';

/**
 * A Cog model container as its HTTP API documents it (https://github.com/replicate/cog/blob/main/docs/http.md):
 * `PUT /predictions/{id}` with `Prefer: respond-async` answers 202 with the prediction and later
 * posts it to `webhook` for the events in `webhook_events_filter`; a repeated PUT of a known id
 * answers the same prediction (idempotent); 409 when every slot is busy; `POST
 * /predictions/{id}/cancel`; `GET /health-check` reports READY / BUSY / SETUP_FAILED …
 * The test decides when a prediction ends (`finish`), as a real model would after its run.
 */
export async function startCogFake() {
  const predictions = new Map<string, { input: unknown; webhook: string; events: string[] }>();
  /** `unavailable`: every submission answers 503, as a container that is down behind its proxy. */
  const state = { busy: false, unavailable: false, health: 'READY', cancelled: [] as string[] };
  const fake = await startHttpFake({
    'PUT /predictions/': (req, res) => {
      const id = decodeURIComponent(req.path.slice('/predictions/'.length));
      if (state.unavailable) return json(res, 503, { detail: 'backend overloaded' });
      if (req.headers.prefer !== 'respond-async') return json(res, 400, { detail: 'sync not used here' });
      if (state.busy && !predictions.has(id))
        return json(res, 409, { detail: 'Already running a prediction' });
      const body = req.body as { input: unknown; webhook: string; webhook_events_filter: string[] };
      if (!predictions.has(id))
        predictions.set(id, { input: body.input, webhook: body.webhook, events: body.webhook_events_filter });
      return json(res, 202, { id, status: 'starting', input: body.input });
    },
    'POST /predictions/': (req, res) => {
      const id = decodeURIComponent(req.path.slice('/predictions/'.length).replace(/\/cancel$/, ''));
      state.cancelled.push(id);
      return json(res, predictions.has(id) ? 200 : 404, {});
    },
    'GET /health-check': (_req, res) => json(res, 200, { status: state.health, setup: {} }),
  });
  /** Posts the prediction's final state to its webhook, as Cog does on `completed`. */
  async function finish(
    id: string,
    outcome:
      | { status: 'succeeded'; output?: unknown; predictTime?: number }
      | { status: 'failed'; error: string }
      | { status: 'canceled' },
  ) {
    const p = predictions.get(id);
    if (!p) throw new Error(`no prediction ${id}`);
    const body = {
      id,
      status: outcome.status,
      input: p.input,
      output: outcome.status === 'succeeded' ? (outcome.output ?? pngDataUrl(PNG_1x1)) : null,
      error: outcome.status === 'failed' ? outcome.error : null,
      metrics: outcome.status === 'succeeded' ? { predict_time: outcome.predictTime ?? 4.2 } : {},
    };
    return fetch(p.webhook, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }
  return { ...fake, predictions, state, finish };
}
