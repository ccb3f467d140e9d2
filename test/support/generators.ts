import { type GenerationJob, type Generator, GeneratorError } from '@genledger/core/ports/generator';
import { pngOutput } from './outputs.ts';

/**
 * A backend that fails transiently `failures` times, then succeeds; counts every call. With
 * `gate`, each call waits for it before answering: a test holds a job in the backend's hands for
 * as long as it needs, instead of for a delay it hopes is long enough.
 */
export function flakyGenerator(
  failures: number,
  options: { delayMs?: number; permanent?: boolean; gate?: Promise<unknown> } = {},
) {
  const calls: GenerationJob[] = [];
  let left = failures;
  const generator: Generator = {
    name: 'flaky',
    async generate(job) {
      calls.push(job);
      if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
      if (options.gate) await options.gate;
      if (left > 0) {
        left--;
        throw new GeneratorError(
          options.permanent ? 'GeneratorRejected' : 'GeneratorUnavailable',
          'backend said no',
          {
            transient: !options.permanent,
          },
        );
      }
      return {
        outputs: pngOutput(job.attempt),
        promptId: `p-${job.attempt}`,
      };
    },
  };
  return { generator, calls, recover: () => (left = 0) };
}
