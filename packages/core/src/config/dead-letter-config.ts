import * as z from 'zod';
import { parseEnv } from './parse-env.ts';

const DeadLetterEnv = z.object({
  QUEUE_MAX_RECEIVE_COUNT: z.coerce.number().int().min(1).max(1000).optional(),
});

/**
 * The main queue's redrive maximum, as the dead-letter handler needs it to report a message's
 * receives on that queue; a bad value stops with one line naming the variable.
 */
export function resolveDeadLetterConfig(env: NodeJS.ProcessEnv = process.env) {
  return { maxReceiveCount: parseEnv(DeadLetterEnv, env).QUEUE_MAX_RECEIVE_COUNT };
}
