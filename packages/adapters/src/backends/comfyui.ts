import type {
  AsyncBackend,
  BackendJob,
  BackendOutcome,
  CallbackReport,
  SubmittedJob,
} from '@genledger/core/ports/backend';
import * as z from 'zod';
import { badReply, callBackend } from './backend-http.ts';
import { type ApiWorkflow, fillWorkflow, type WorkflowBindings } from './comfyui-workflow.ts';

export interface ComfyUiOptions {
  baseUrl: string;
  workflow: ApiWorkflow;
  bindings: WorkflowBindings;
  deadlineS: number;
  /** The first poll after this long; each next one waits twice as long, up to SQS's 15 minutes. */
  pollAfterS?: number;
  timeoutMs?: number;
}

const Queued = z.looseObject({ prompt_id: z.string().min(1).max(100) });
const ImageRef = z.looseObject({
  filename: z.string(),
  subfolder: z.string().default(''),
  type: z.string().default('output'),
});
const HistoryEntry = z.looseObject({
  outputs: z.record(z.string(), z.looseObject({ images: z.array(ImageRef).optional() })).default({}),
  status: z
    .looseObject({
      status_str: z.string().optional(),
      completed: z.boolean().optional(),
      messages: z.array(z.tuple([z.string(), z.unknown()])).optional(),
    })
    .optional(),
});
const QueueState = z.looseObject({
  queue_running: z.array(z.array(z.unknown())).default([]),
  queue_pending: z.array(z.array(z.unknown())).default([]),
});

/** The error ComfyUI recorded for a prompt (`execution_error` in its status messages). */
function executionError(entry: z.infer<typeof HistoryEntry>): string {
  const found = entry.status?.messages?.find(([kind]) => kind === 'execution_error')?.[1] as
    | { exception_message?: unknown; node_type?: unknown }
    | undefined;
  if (!found) return 'the workflow failed';
  return `${String(found.node_type ?? 'a node')}: ${String(found.exception_message ?? 'failed')}`.slice(
    0,
    2000,
  );
}

/**
 * A ComfyUI server through its HTTP routes (https://docs.comfy.org/development/comfyui-server/comms_routes):
 * `POST /prompt` queues the workflow with the request's values in its bound inputs, `GET
 * /history/{prompt_id}` tells when it ran, `GET /view` serves each image. ComfyUI cannot call
 * back, so the worker polls on delayed queue messages. A cancel interrupts the prompt when it is
 * running, or deletes it from the queue.
 */
export function comfyUiBackend(options: ComfyUiOptions): AsyncBackend {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const url = (path: string) => new URL(path, options.baseUrl).toString();
  const call = (method: 'GET' | 'POST', path: string, body?: unknown) =>
    callBackend({ method, url: url(path), body, timeoutMs }, { name: 'comfyui' });
  return {
    kind: 'async',
    name: 'comfyui',
    deadlineS: options.deadlineS,
    pollAfterS: options.pollAfterS ?? 5,
    async submit(job: BackendJob) {
      const prompt = fillWorkflow(options.workflow, options.bindings, job.request);
      const reply = await call('POST', '/prompt', { prompt, client_id: `genledger-${job.generationId}` });
      const parsed = Queued.safeParse(reply.json);
      if (!parsed.success) throw badReply('comfyui', 'no prompt_id');
      return { backendId: parsed.data.prompt_id };
    },
    async poll(job: SubmittedJob): Promise<BackendOutcome> {
      const reply = await call('GET', `/history/${encodeURIComponent(job.backendId)}`);
      const raw = (reply.json as Record<string, unknown> | undefined)?.[job.backendId];
      if (raw === undefined) return { status: 'running' }; // queued or running: not in the history yet
      const entry = HistoryEntry.safeParse(raw);
      if (!entry.success) throw badReply('comfyui', 'a history entry of another shape');
      if (entry.data.status?.status_str === 'error')
        return {
          status: 'failed',
          errorType: 'GeneratorFailed',
          message: executionError(entry.data),
          transient: true,
          metrics: {},
        };
      if (entry.data.status && entry.data.status.completed === false) return { status: 'running' };
      const images = Object.values(entry.data.outputs).flatMap((o) => o.images ?? []);
      if (images.length === 0)
        return {
          status: 'failed',
          errorType: 'GeneratorBadReply',
          message: 'the workflow produced no image',
          transient: false,
          metrics: {},
        };
      return {
        status: 'succeeded',
        outputs: images.map((i) => ({
          kind: 'url' as const,
          url: url(
            `/view?${new URLSearchParams({ filename: i.filename, subfolder: i.subfolder, type: i.type })}`,
          ),
        })),
        metrics: {},
      };
    },
    async cancel(job: SubmittedJob) {
      const state = QueueState.safeParse((await call('GET', '/queue')).json);
      if (!state.success) throw badReply('comfyui', 'a queue of another shape');
      const has = (items: unknown[][]) => items.some((item) => item[1] === job.backendId);
      if (has(state.data.queue_running)) await call('POST', '/interrupt');
      else if (has(state.data.queue_pending)) await call('POST', '/queue', { delete: [job.backendId] });
    },
    async readCallback(): Promise<CallbackReport | undefined> {
      // ComfyUI never calls back: anything on its attempts' callback URLs is refused.
      return undefined;
    },
  };
}
