import * as z from 'zod';
import { AppError } from '../errors.ts';
import { parseEnv } from './parse-env.ts';

const BackendEnv = z.object({
  GENERATOR_URL: z.url().optional(),
  /** An asynchronous attempt with no outcome after this long is a transient failure. */
  GENERATOR_DEADLINE_S: z.coerce.number().int().min(10).max(43_000).default(900),
  /** The first poll of a backend that cannot call back (ComfyUI), or the fallback poll of Replicate. */
  GENERATOR_POLL_AFTER_S: z.coerce.number().int().min(1).max(900).optional(),
  /** Where backends post callbacks: the API's public URL (SST links it when deployed). */
  PUBLIC_URL: z.url().optional(),
  /** An API-format ComfyUI workflow; its bindings in `<name>.bindings.json` beside it. */
  COMFYUI_WORKFLOW: z.string().min(1).optional(),
  REPLICATE_API_TOKEN: z.string().min(1).optional(),
  REPLICATE_WEBHOOK_SECRET: z.string().startsWith('whsec_').optional(),
  REPLICATE_API_URL: z.url().optional(),
});

interface AsyncCommon {
  deadlineS: number;
  pollAfterS: number | undefined;
  publicUrl: string | undefined;
}

/** Which backend GENERATOR_URL names, by its scheme (docs/backends.md). */
export type BackendConfig =
  | { kind: 'builtin' }
  | { kind: 'http'; url: string }
  | ({ kind: 'cog'; baseUrl: string } & AsyncCommon)
  | ({ kind: 'comfyui'; baseUrl: string; workflowPath: string } & AsyncCommon)
  | ({
      kind: 'replicate';
      model: string;
      apiToken: string;
      webhookSecret: string | undefined;
      apiUrl: string | undefined;
    } & AsyncCommon);

const configuration = (message: string) => new AppError('configuration', message);

/**
 * `cog+http(s)://host:port`, `comfyui+http(s)://host:port`, `replicate://owner/model[:version]`, a
 * plain `http(s)://` URL (the synchronous contract), or nothing (the builtin generator). A bad
 * combination stops with one line naming the variable.
 */
export function resolveBackendConfig(env: NodeJS.ProcessEnv = process.env): BackendConfig {
  const e = parseEnv(BackendEnv, env);
  if (!e.GENERATOR_URL) return { kind: 'builtin' };
  const url = new URL(e.GENERATOR_URL);
  const common: AsyncCommon = {
    deadlineS: e.GENERATOR_DEADLINE_S,
    pollAfterS: e.GENERATOR_POLL_AFTER_S,
    publicUrl: e.PUBLIC_URL,
  };
  const scheme = url.protocol.slice(0, -1);
  const base = () => `${scheme.split('+')[1]}://${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  switch (scheme) {
    case 'http':
    case 'https':
      return { kind: 'http', url: e.GENERATOR_URL };
    case 'cog+http':
    case 'cog+https':
      return { kind: 'cog', baseUrl: base(), ...common };
    case 'comfyui+http':
    case 'comfyui+https':
      if (!e.COMFYUI_WORKFLOW)
        throw configuration('COMFYUI_WORKFLOW: required with a comfyui+ GENERATOR_URL');
      return { kind: 'comfyui', baseUrl: base(), workflowPath: e.COMFYUI_WORKFLOW, ...common };
    case 'replicate': {
      const model = `${url.host}${decodeURIComponent(url.pathname)}`;
      if (!/^[\w.-]+\/[\w.-]+(:[0-9a-f]{8,})?$/.test(model))
        throw configuration(`GENERATOR_URL: replicate://owner/model[:version], got replicate://${model}`);
      if (!e.REPLICATE_API_TOKEN)
        throw configuration('REPLICATE_API_TOKEN: required with a replicate:// GENERATOR_URL');
      return {
        kind: 'replicate',
        model,
        apiToken: e.REPLICATE_API_TOKEN,
        webhookSecret: e.REPLICATE_WEBHOOK_SECRET,
        apiUrl: e.REPLICATE_API_URL,
        ...common,
      };
    }
    default:
      throw configuration(
        `GENERATOR_URL: unknown scheme "${scheme}:" (http, https, cog+http(s), comfyui+http(s), replicate)`,
      );
  }
}
