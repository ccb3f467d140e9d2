import { readFileSync } from 'node:fs';
import type { BackendConfig } from '@genledger/core/config/backend-config';
import { AppError } from '@genledger/core/errors';
import type { AsyncBackend } from '@genledger/core/ports/backend';
import type * as z from 'zod';

const configuration = (message: string) => new AppError('configuration', message);

function readJson<S extends z.ZodType>(path: string, schema: S, variable: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw configuration(
      `${variable}: cannot read ${path} as JSON (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw configuration(`${variable}: ${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** `workflow.json` → `workflow.bindings.json`: the bindings are declared beside the workflow. */
const bindingsPathOf = (workflowPath: string) => workflowPath.replace(/(\.json)?$/i, '.bindings.json');

/** The deadline, and the first poll's delay when configured (each adapter has its own default). */
const timingOf = (config: { deadlineS: number; pollAfterS: number | undefined }) => ({
  deadlineS: config.deadlineS,
  ...(config.pollAfterS === undefined ? {} : { pollAfterS: config.pollAfterS }),
});

/**
 * The asynchronous backend a configuration names, or undefined for the synchronous ones. Each
 * adapter is loaded only when configured: a cold start with a synchronous backend loads none of
 * them (their modules, zod schemas and the Standard Webhooks verifier; docs/cold-start.md).
 */
export async function asyncBackendOf(config: BackendConfig): Promise<AsyncBackend | undefined> {
  switch (config.kind) {
    case 'cog': {
      const { cogBackend } = await import('@genledger/adapters/backends/cog');
      return cogBackend({ baseUrl: config.baseUrl, deadlineS: config.deadlineS });
    }
    case 'comfyui': {
      const [{ comfyUiBackend }, { ApiWorkflow, checkBindings, WorkflowBindings }] = await Promise.all([
        import('@genledger/adapters/backends/comfyui'),
        import('@genledger/adapters/backends/comfyui-workflow'),
      ]);
      const workflow = readJson(config.workflowPath, ApiWorkflow, 'COMFYUI_WORKFLOW');
      const bindings = readJson(bindingsPathOf(config.workflowPath), WorkflowBindings, 'COMFYUI_WORKFLOW');
      const mistakes = checkBindings(workflow, bindings);
      if (mistakes.length) throw configuration(`COMFYUI_WORKFLOW: ${mistakes[0]}`);
      return comfyUiBackend({ baseUrl: config.baseUrl, workflow, bindings, ...timingOf(config) });
    }
    case 'replicate': {
      const { replicateBackend } = await import('@genledger/adapters/backends/replicate');
      return replicateBackend({
        model: config.model,
        apiToken: config.apiToken,
        webhookSecret: config.webhookSecret,
        ...(config.apiUrl ? { apiUrl: config.apiUrl } : {}),
        ...timingOf(config),
      });
    }
    default:
      return undefined;
  }
}
