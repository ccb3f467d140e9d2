import { join } from 'node:path';
import { fileOutputStore } from '@genledger/adapters/outputs/file-output-store';
import { defaultDataDir } from '@genledger/core/config/worker-config';
import type { OutputStore } from '@genledger/core/ports/output-store';

/** Where the built-in generator writes outputs, and so the one directory the console serves them from. */
export const outputsDirectory = (dataDir: string) => join(dataDir, 'outputs');

/** The outputs of this environment's DATA_DIR (as the worker resolves it), read as files. */
export const outputStoreOf = (env: NodeJS.ProcessEnv): OutputStore =>
  fileOutputStore(outputsDirectory(env.DATA_DIR || defaultDataDir(env)));
