import { MAX_OUTPUT_PATH_LENGTH, MAX_PROMPT_ID_LENGTH } from '@genledger/core/contracts/limits';
import { MAX_OUTPUTS_PER_GENERATION } from '@genledger/core/contracts/outputs';
import type { GenerationJob, GenerationOutput, Generator } from '@genledger/core/ports/generator';
import { GeneratorError } from '@genledger/core/ports/generator';
import * as z from 'zod';

/** An output as Cog answers it: a data URL or an http(s) URL. */
const OutputUrl = z.string().min(1);

const Reply = z.union([
  z.object({
    output: z.union([OutputUrl, z.array(OutputUrl).min(1).max(MAX_OUTPUTS_PER_GENERATION)]),
    promptId: z.string().min(1).max(MAX_PROMPT_ID_LENGTH).nullable().optional(),
  }),
  // Deprecated, accepted for one release: `outputPath` read as one output URL (a bare path on the
  // backend's disk cannot be fetched and fails the attempt as OutputRejected).
  z.object({
    outputPath: z.string().min(1).max(MAX_OUTPUT_PATH_LENGTH),
    promptId: z.string().min(1).max(MAX_PROMPT_ID_LENGTH).nullable().optional(),
  }),
]);

function outputsOf(reply: z.infer<typeof Reply>): GenerationOutput {
  const urls = 'output' in reply ? [reply.output].flat() : [reply.outputPath];
  return {
    outputs: urls.map((url) => ({ kind: 'url', url })),
    ...(reply.promptId ? { promptId: reply.promptId } : {}),
  };
}

/**
 * A remote backend: POSTs the job as JSON to `url` and expects `{ output, promptId? }`, `output`
 * being a data URL, an http(s) URL or an array of them, as in a Cog prediction's `output`
 * (docs/http.md). Timeouts, connection errors and 5xx are transient (SQS retries); 4xx and a reply
 * that does not fit the contract are permanent.
 */
export function httpGenerator(url: string, options: { timeoutMs?: number } = {}): Generator {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return {
    name: 'http',
    async generate(job: GenerationJob): Promise<GenerationOutput> {
      let response: Response;
      try {
        response = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'idempotency-key': `${job.generationId}:${job.attempt}`,
          },
          body: JSON.stringify({ generationId: job.generationId, attempt: job.attempt, ...job.request }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (e) {
        const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
        throw new GeneratorError(
          timedOut ? 'GeneratorTimeout' : 'GeneratorUnreachable',
          timedOut
            ? `generator did not answer within ${timeoutMs} ms`
            : `generator unreachable: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`,
          { transient: true, cause: e },
        );
      }
      const text = await response.text().catch(() => '');
      if (response.status >= 500 || response.status === 429) {
        throw new GeneratorError(
          'GeneratorUnavailable',
          `generator answered ${response.status}: ${text.slice(0, 300)}`,
          {
            transient: true,
          },
        );
      }
      if (response.status >= 400) {
        throw new GeneratorError(
          'GeneratorRejected',
          `generator rejected the request (${response.status}): ${text.slice(0, 300)}`,
          {
            transient: false,
          },
        );
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new GeneratorError('GeneratorBadReply', 'generator reply is not JSON', { transient: false });
      }
      const parsed = Reply.safeParse(body);
      if (!parsed.success) {
        throw new GeneratorError(
          'GeneratorBadReply',
          `generator reply does not fit the contract: ${parsed.error.issues[0]?.message}`,
          {
            transient: false,
          },
        );
      }
      return outputsOf(parsed.data);
    },
  };
}
