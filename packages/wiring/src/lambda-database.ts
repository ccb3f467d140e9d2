import type { Database } from '@genledger/db/connect';
import { lambdaDatabase } from '@genledger/db/lambda-database';
import { linkedEnvironment } from './linked-environment.ts';

/** One database per container, reused while warm; linked SST resources become plain variables. */
export const containerDatabase = (): Promise<Database> => lambdaDatabase(linkedEnvironment());
