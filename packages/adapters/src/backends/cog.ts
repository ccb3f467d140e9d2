import { fieldErrorsFromZod, validationError } from '@genledger/core/errors';
import type {
  AsyncBackend,
  BackendJob,
  CallbackReport,
  IncomingCallback,
  SubmittedJob,
} from '@genledger/core/ports/backend';
import { GeneratorError } from '@genledger/core/ports/generator';
import type { BackendHealthReport } from '@genledger/core/ports/generator-health';
import { badReply, callBackend } from './backend-http.ts';
import { Prediction, predictionInput, predictionOutcome } from './prediction.ts';

export interface CogOptions {
  /** The container's base URL, `http(s)://host:port` (from `cog+http(s)://…`). */
  baseUrl: string;
  deadlineS: number;
  timeoutMs?: number;
}

/** The id a prediction gets at Cog: one per attempt, so a repeated PUT is the same prediction. */
export const cogPredictionId = (job: { generationId: string; attempt: number }) =>
  `${job.generationId}-${job.attempt}`;

const HEALTH: Record<string, BackendHealthReport['state']> = {
  READY: 'ready',
  BUSY: 'busy',
  STARTING: 'starting',
  SETUP_FAILED: 'setup_failed',
  DEFUNCT: 'setup_failed',
  UNHEALTHY: 'setup_failed',
};

/**
 * A Cog model container, through its HTTP API (https://github.com/replicate/cog/blob/main/docs/http.md):
 * `PUT /predictions/{id}` with `Prefer: respond-async` starts a prediction idempotently, and the
 * container posts the prediction object to the webhook on `start` and `completed`. 409 means every
 * slot is busy (backpressure). Cog keeps no finished predictions to ask about, so there is no
 * polling: a callback that never comes is the deadline's case.
 */
export function cogBackend(options: CogOptions): AsyncBackend {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const url = (path: string) => new URL(path, options.baseUrl).toString();
  return {
    kind: 'async',
    name: 'cog',
    deadlineS: options.deadlineS,
    pollAfterS: undefined,
    async submit(job: BackendJob) {
      const id = cogPredictionId(job);
      const reply = await callBackend(
        {
          method: 'PUT',
          url: url(`/predictions/${encodeURIComponent(id)}`),
          headers: { prefer: 'respond-async' },
          body: {
            input: predictionInput(job.request),
            webhook: job.callbackUrl,
            webhook_events_filter: ['start', 'completed'],
          },
          timeoutMs,
        },
        { name: 'cog', accept: (s) => s === 409 },
      );
      if (reply.status === 409)
        throw new GeneratorError('BackendBusy', 'cog: every prediction slot is busy (409)', {
          transient: true,
        });
      if (reply.status !== 202 && reply.status !== 200) throw badReply('cog', `status ${reply.status}`);
      return { backendId: id };
    },
    async poll() {
      // Cog cannot be asked about a prediction; only its webhook reports. The deadline covers a lost one.
      return { status: 'running' };
    },
    async cancel(job: SubmittedJob) {
      await callBackend(
        { method: 'POST', url: url(`/predictions/${encodeURIComponent(job.backendId)}/cancel`), timeoutMs },
        { name: 'cog', accept: (s) => s === 404 },
      );
    },
    async readCallback(callback: IncomingCallback): Promise<CallbackReport | undefined> {
      // Cog does not sign its webhooks: the attempt's unguessable callback URL is the credential.
      return readPredictionCallback(callback.body, 'cog');
    },
    async health(): Promise<BackendHealthReport> {
      try {
        const reply = await callBackend(
          { method: 'GET', url: url('/health-check'), timeoutMs: 3000 },
          { name: 'cog' },
        );
        const status = (reply.json as { status?: unknown } | undefined)?.status;
        return {
          state: (typeof status === 'string' && HEALTH[status]) || 'unknown',
          detail: `cog reports ${String(status)}`,
        };
      } catch (e) {
        return { state: 'unreachable', detail: e instanceof Error ? e.message : String(e) };
      }
    },
  };
}

/** A webhook body carrying a prediction object (Cog and Replicate alike). */
export function readPredictionCallback(body: string, name: string): CallbackReport {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw validationError(`${name} callback: the body is not JSON`);
  }
  const parsed = Prediction.safeParse(json);
  if (!parsed.success)
    throw validationError(
      `${name} callback: the body is not a prediction`,
      fieldErrorsFromZod(parsed.error.issues),
    );
  return { backendId: parsed.data.id, outcome: predictionOutcome(parsed.data) };
}
