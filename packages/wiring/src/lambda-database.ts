import type { Database } from '@genledger/db/connect';
import { lambdaDatabase } from '@genledger/db/lambda-database';
import { linkedEnvironment } from './linked-environment.ts';

/** One database per container, reused while warm; linked SST resources become plain variables. */
export const containerDatabase = (): Promise<Database> => lambdaDatabase(linkedEnvironment());

/**
 * Built on first use and kept while it works; a failed build is forgotten so the next invocation
 * tries again (a database that was down at a cold start must not poison the warm container).
 */
export function memo<T>(build: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () =>
    (value ??= build().catch((e: unknown) => {
      value = undefined;
      throw e;
    }));
}
