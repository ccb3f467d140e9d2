import { Webhook } from 'standardwebhooks';
import { json, PNG_1x1, startHttpFake } from './http-fake.ts';

/**
 * Replicate's HTTP API as documented (https://replicate.com/docs/reference/http): `POST
 * /v1/models/{owner}/{name}/predictions` (or `/v1/predictions` with a version) answers 201 with the
 * prediction; `GET /v1/predictions/{id}`; `POST /v1/predictions/{id}/cancel`; `GET
 * /v1/webhooks/default/secret` answers `{key: "whsec_…"}`. Webhooks are signed with Standard
 * Webhooks (https://replicate.com/docs/topics/webhooks/verify-webhook), here by the
 * `standardwebhooks` package's own `sign`. Outputs are URLs on this server, as replicate.delivery's.
 */
export async function startReplicateFake(token = 'r8_test_token') {
  const secret = `whsec_${Buffer.from('replicate-fake-signing-key-32bytes!!').toString('base64')}`;
  const predictions = new Map<
    string,
    { status: string; webhook: string; output?: string[]; error?: string }
  >();
  let n = 0;
  const authorized = (req: { headers: Record<string, unknown> }) =>
    req.headers.authorization === `Bearer ${token}`;
  const fake = await startHttpFake({
    'POST /v1/': (req, res) => {
      if (!authorized(req)) return json(res, 401, { detail: 'Unauthenticated' });
      if (req.path.endsWith('/cancel')) {
        const id = req.path.split('/')[3]!;
        const p = predictions.get(id);
        if (p) p.status = 'canceled';
        return json(res, 200, { id, status: 'canceled' });
      }
      const id = `rp${++n}xyz`;
      const { webhook } = req.body as { webhook: string };
      predictions.set(id, { status: 'starting', webhook });
      return json(res, 201, { id, status: 'starting', urls: {} });
    },
    'GET /v1/predictions/': (req, res) => {
      if (!authorized(req)) return json(res, 401, { detail: 'Unauthenticated' });
      const id = req.path.slice('/v1/predictions/'.length);
      const p = predictions.get(id);
      if (!p) return json(res, 404, { detail: 'Not found' });
      return json(res, 200, {
        id,
        status: p.status,
        output: p.output ?? null,
        error: p.error ?? null,
        metrics: { predict_time: 3.5 },
      });
    },
    'GET /v1/webhooks/default/secret': (req, res) =>
      authorized(req) ? json(res, 200, { key: secret }) : json(res, 401, { detail: 'Unauthenticated' }),
    'GET /files/': (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG_1x1);
    },
  });
  /** The prediction ends; with `send`, its webhook is posted, signed (or with a forged signature). */
  async function finish(
    id: string,
    status: 'succeeded' | 'failed',
    options: { send?: boolean; forge?: boolean } = {},
  ) {
    const p = predictions.get(id)!;
    p.status = status;
    if (status === 'succeeded') p.output = [`${fake.url}/files/${id}/out-0.png`];
    else p.error = 'NSFW content detected';
    if (options.send === false) return undefined;
    const body = JSON.stringify({
      id,
      status,
      output: p.output ?? null,
      error: p.error ?? null,
      metrics: { predict_time: 3.5 },
    });
    const msgId = `msg_${id}_${status}`;
    const at = new Date();
    const signer = new Webhook(
      options.forge ? `whsec_${Buffer.from('not-the-right-key-at-all-32bytes!').toString('base64')}` : secret,
    );
    const signature = signer.sign(msgId, at, body);
    return fetch(p.webhook, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': msgId,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body,
    });
  }
  return { ...fake, token, secret, predictions, finish };
}
