import { randomUUID } from 'node:crypto';
import { json, PNG_1x1, startHttpFake } from './http-fake.ts';

/**
 * A ComfyUI server's routes as documented (https://docs.comfy.org/development/comfyui-server/comms_routes):
 * `POST /prompt` queues an API-format workflow and answers `{prompt_id, number, node_errors}`;
 * `GET /history/{prompt_id}` is `{}` until the prompt ran, then `{[id]: {outputs, status}}`;
 * `GET /view?filename&subfolder&type` serves an image; `GET /queue`, `POST /interrupt`, and
 * `POST /queue {delete: [...]}`. The test decides when a prompt runs and ends.
 */
export async function startComfyFake() {
  const prompts = new Map<
    string,
    {
      workflow: Record<string, { inputs: Record<string, unknown> }>;
      state: 'pending' | 'running' | 'done' | 'error';
    }
  >();
  const actions: string[] = [];
  const fake = await startHttpFake({
    'POST /prompt': (req, res) => {
      const { prompt } = req.body as { prompt: Record<string, { inputs: Record<string, unknown> }> };
      const id = randomUUID();
      prompts.set(id, { workflow: prompt, state: 'pending' });
      return json(res, 200, { prompt_id: id, number: prompts.size, node_errors: {} });
    },
    'GET /history/': (req, res) => {
      const id = decodeURIComponent(req.path.slice('/history/'.length));
      const p = prompts.get(id);
      if (!p || p.state === 'pending' || p.state === 'running') return json(res, 200, {});
      if (p.state === 'error')
        return json(res, 200, {
          [id]: {
            outputs: {},
            status: {
              status_str: 'error',
              completed: false,
              messages: [
                ['execution_error', { node_type: 'KSampler', exception_message: 'CUDA out of memory' }],
              ],
            },
          },
        });
      return json(res, 200, {
        [id]: {
          outputs: {
            '9': {
              images: [
                { filename: `${id}_0.png`, subfolder: '', type: 'output' },
                { filename: `${id}_1.png`, subfolder: '', type: 'output' },
              ],
            },
          },
          status: { status_str: 'success', completed: true, messages: [] },
        },
      });
    },
    'GET /view': (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      res.end(PNG_1x1);
    },
    'GET /queue': (_req, res) => {
      const running = [...prompts]
        .filter(([, p]) => p.state === 'running')
        .map(([id], i) => [i, id, {}, {}, []]);
      const pending = [...prompts]
        .filter(([, p]) => p.state === 'pending')
        .map(([id], i) => [i, id, {}, {}, []]);
      return json(res, 200, { queue_running: running, queue_pending: pending });
    },
    'POST /interrupt': (_req, res) => {
      actions.push('interrupt');
      return json(res, 200, {});
    },
    'POST /queue': (req, res) => {
      actions.push(`delete:${(req.body as { delete: string[] }).delete.join(',')}`);
      return json(res, 200, {});
    },
  });
  const set = (id: string, state: 'pending' | 'running' | 'done' | 'error') => {
    const p = prompts.get(id);
    if (!p) throw new Error(`no prompt ${id}`);
    p.state = state;
  };
  return { ...fake, prompts, actions, set };
}
