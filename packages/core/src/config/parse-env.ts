import type * as z from 'zod';
import { AppError } from '../errors.ts';

/**
 * Parses environment variables with a zod schema. Empty strings count as unset (so `PORT=` falls
 * back to the default), and the first problem becomes one line naming the variable.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv): z.output<S> {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AppError('configuration', `${String(issue.path[0])}: ${issue.message}`);
  }
  return parsed.data;
}
