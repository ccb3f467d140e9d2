import { AppError } from '@genledger/core/errors';
import type {
  AsyncBackend,
  BackendJob,
  CallbackReport,
  IncomingCallback,
  SubmittedJob,
} from '@genledger/core/ports/backend';
import { GeneratorError } from '@genledger/core/ports/generator';
import { Webhook } from 'standardwebhooks';
import { badReply, callBackend } from './backend-http.ts';
import { readPredictionCallback } from './cog.ts';
import { Prediction, predictionInput, predictionOutcome } from './prediction.ts';

export interface ReplicateOptions {
  /** `owner/model` or `owner/model:version`, from `replicate://owner/model[:version]`. */
  model: string;
  apiToken: string;
  /** The account's webhook signing secret (`whsec_…`); fetched from the API when not given. */
  webhookSecret?: string | undefined;
  /** https://api.replicate.com unless pointed elsewhere (a proxy, a test server). */
  apiUrl?: string;
  deadlineS: number;
  /** When no callback came, the first fallback poll after this long. */
  pollAfterS?: number;
  timeoutMs?: number;
}

/**
 * Replicate's hosted API (https://replicate.com/docs/reference/http): a prediction is created with
 * a webhook; each callback is verified with the account's Standard Webhooks signing secret
 * (https://replicate.com/docs/topics/webhooks/verify-webhook) through the `standardwebhooks`
 * package; `GET /v1/predictions/{id}` is polled as a fallback. Outputs are URLs that expire an
 * hour after the prediction, which is why genledger copies them at once.
 */
export function replicateBackend(options: ReplicateOptions): AsyncBackend {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const api = (path: string) => new URL(path, options.apiUrl ?? 'https://api.replicate.com').toString();
  const auth = { authorization: `Bearer ${options.apiToken}` };
  const [ownerModel, version] = options.model.split(':', 2) as [string, string | undefined];
  let secret: Promise<string> | undefined = options.webhookSecret
    ? Promise.resolve(options.webhookSecret)
    : undefined;
  const signingSecret = () => {
    secret ??= callBackend(
      { method: 'GET', url: api('/v1/webhooks/default/secret'), headers: auth, timeoutMs },
      { name: 'replicate' },
    ).then((r) => {
      const key = (r.json as { key?: unknown } | undefined)?.key;
      if (typeof key !== 'string') throw badReply('replicate', 'no webhook signing secret');
      return key;
    });
    return secret.catch((e: unknown) => {
      secret = undefined; // a failed fetch is tried again by the next callback
      throw e;
    });
  };
  const prediction = (json: unknown) => {
    const parsed = Prediction.safeParse(json);
    if (!parsed.success || !parsed.data.id) throw badReply('replicate', 'not a prediction');
    return parsed.data as Prediction & { id: string };
  };
  return {
    kind: 'async',
    name: 'replicate',
    deadlineS: options.deadlineS,
    pollAfterS: options.pollAfterS ?? 120,
    async submit(job: BackendJob) {
      const body = {
        ...(version ? { version } : {}),
        input: predictionInput(job.request),
        webhook: job.callbackUrl,
        webhook_events_filter: ['start', 'completed'],
      };
      const path = version ? '/v1/predictions' : `/v1/models/${ownerModel}/predictions`;
      const reply = await callBackend(
        { method: 'POST', url: api(path), headers: auth, body, timeoutMs },
        { name: 'replicate', accept: (s) => s === 429 },
      );
      if (reply.status === 429)
        throw new GeneratorError('BackendBusy', 'replicate: rate limited (429)', { transient: true });
      return { backendId: prediction(reply.json).id };
    },
    async poll(job: SubmittedJob) {
      const reply = await callBackend(
        {
          method: 'GET',
          url: api(`/v1/predictions/${encodeURIComponent(job.backendId)}`),
          headers: auth,
          timeoutMs,
        },
        { name: 'replicate' },
      );
      return predictionOutcome(prediction(reply.json));
    },
    async cancel(job: SubmittedJob) {
      await callBackend(
        {
          method: 'POST',
          url: api(`/v1/predictions/${encodeURIComponent(job.backendId)}/cancel`),
          headers: auth,
          timeoutMs,
        },
        { name: 'replicate' },
      );
    },
    async readCallback(callback: IncomingCallback): Promise<CallbackReport | undefined> {
      const headers: Record<string, string> = {};
      for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
        const value = callback.headers[name];
        if (value === undefined) return undefined;
        headers[name] = value;
      }
      try {
        new Webhook(await signingSecret()).verify(callback.body, headers);
      } catch (e) {
        if (e instanceof GeneratorError) throw new AppError('unavailable', e.message, { cause: e });
        return undefined;
      }
      return readPredictionCallback(callback.body, 'replicate');
    },
  };
}
