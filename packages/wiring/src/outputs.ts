import { fileOutputStore } from '@genledger/adapters/outputs/file-output-store';
import { httpOutputFetcher } from '@genledger/adapters/outputs/http-output-fetcher';
import { type LocalOutputLinks, localOutputLinks } from '@genledger/adapters/outputs/local-output-links';
import { s3OutputStore } from '@genledger/adapters/outputs/s3-output-store';
import { resolveApiConfig } from '@genledger/api/config';
import { resolveOutputConfig } from '@genledger/core/config/output-config';
import type { OutputStore } from '@genledger/core/ports/output-store';
import type { KeepOutputsDeps } from '@genledger/core/use-cases/keep-outputs';
import { derivedKey } from './derived-key.ts';

export interface ConfiguredOutputs {
  store: OutputStore;
  /** The local links the file store signs, for the local server to check (undefined with S3). */
  links: LocalOutputLinks | undefined;
  /** One line for the start-up banner (never a secret). */
  description: string;
}

/**
 * The output store this environment configures: the S3 bucket named by OUTPUT_BUCKET (deployed:
 * the linked `Outputs` bucket; the sim: fauxqs' S3 at OUTPUT_S3_ENDPOINT), otherwise files under
 * `DATA_DIR/outputs` with HMAC-signed links to the local server. `baseUrl` is where the local
 * server listens (PUBLIC_URL wins).
 */
export function configuredOutputs(
  env: NodeJS.ProcessEnv,
  options: { baseUrl?: () => string } = {},
): ConfiguredOutputs {
  const config = resolveOutputConfig(env);
  if (config.bucket) {
    return {
      store: s3OutputStore({
        bucket: config.bucket,
        ttlS: config.urlTtlS,
        ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
        ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
      }),
      links: undefined,
      description: `S3 bucket ${config.bucket}${config.s3Endpoint ? ` at ${config.s3Endpoint}` : ''}`,
    };
  }
  const secret =
    config.urlSecret ?? derivedKey(resolveApiConfig(env).cursorSecret, 'output-links').toString('hex');
  const links = localOutputLinks({
    secret,
    baseUrl: env.PUBLIC_URL ? () => config.publicUrl : (options.baseUrl ?? (() => config.publicUrl)),
    ttlS: config.urlTtlS,
  });
  return {
    store: fileOutputStore(config.directory, links),
    links,
    description: `files under ${config.directory}`,
  };
}

/** The output store alone (Lambda functions: the API signs links, the worker writes, maintenance deletes). */
export const outputStoreOf = (env: NodeJS.ProcessEnv): OutputStore => configuredOutputs(env).store;

/** What the worker's keepOutputs needs: the store, a fetcher with the configured timeout, the limit. */
export function keepOutputsDeps(
  env: NodeJS.ProcessEnv,
  store: OutputStore = outputStoreOf(env),
): KeepOutputsDeps & { store: OutputStore } {
  const config = resolveOutputConfig(env);
  return {
    store,
    fetcher: httpOutputFetcher({ timeoutMs: config.fetchTimeoutMs }),
    maxBytes: config.maxBytes,
  };
}
