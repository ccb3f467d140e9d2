/**
 * What the backend GENERATOR_URL names needs deployed, for the worker and the API alike
 * (docs/backends/): Replicate's token and webhook signing secret as SST secrets
 * (`sst secret set ReplicateApiToken r8_…`, and `ReplicateWebhookSecret whsec_…`, or "none" to
 * have it fetched from Replicate's API), and a ComfyUI workflow with its bindings bundled beside
 * the code.
 */
export function backend(env: NodeJS.ProcessEnv = process.env) {
  const url = env.GENERATOR_URL?.trim() ?? '';
  const links: sst.Secret[] = [];
  const copyFiles: { from: string; to: string }[] = [];
  const environment: Record<string, string> = {};
  if (url.startsWith('replicate:')) {
    links.push(new sst.Secret('ReplicateApiToken'), new sst.Secret('ReplicateWebhookSecret', 'none'));
  }
  if (url.startsWith('comfyui+')) {
    const workflow = env.COMFYUI_WORKFLOW?.trim();
    if (!workflow) throw new Error('COMFYUI_WORKFLOW: required with a comfyui+ GENERATOR_URL');
    copyFiles.push(
      { from: workflow, to: 'comfyui/workflow.json' },
      { from: workflow.replace(/(\.json)?$/i, '.bindings.json'), to: 'comfyui/workflow.bindings.json' },
    );
    environment.COMFYUI_WORKFLOW = 'comfyui/workflow.json';
  }
  return { links, copyFiles, environment };
}
