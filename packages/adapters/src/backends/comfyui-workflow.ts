import * as z from 'zod';

/** The request fields a workflow's node inputs may receive. */
const BOUND_FIELDS = ['prompt', 'negativePrompt', 'seed', 'steps', 'width', 'height', 'guidance'] as const;

const NodeInput = z.strictObject({ node: z.string().min(1), input: z.string().min(1) });

/**
 * Which node input receives each request field, declared beside the workflow (COMFYUI_WORKFLOW's
 * `<name>.bindings.json`): `{ "prompt": { "node": "6", "input": "text" }, … }`. `prompt` is required;
 * a field without a binding keeps the workflow's own value.
 */
export const WorkflowBindings = z
  .strictObject(
    Object.fromEntries(BOUND_FIELDS.map((f) => [f, NodeInput.optional()])) as Record<
      (typeof BOUND_FIELDS)[number],
      z.ZodOptional<typeof NodeInput>
    >,
  )
  .refine((b) => b.prompt !== undefined, { message: 'the prompt needs a binding', path: ['prompt'] });
export type WorkflowBindings = z.infer<typeof WorkflowBindings>;

/** An API-format workflow (ComfyUI's "Export (API)"): node id → `{ class_type, inputs }`. */
export const ApiWorkflow = z.record(
  z.string(),
  z.looseObject({ class_type: z.string(), inputs: z.record(z.string(), z.unknown()) }),
);
export type ApiWorkflow = z.infer<typeof ApiWorkflow>;

/** Checks that every binding names a node of the workflow; one line per mistake. */
export function checkBindings(workflow: ApiWorkflow, bindings: WorkflowBindings): string[] {
  return Object.entries(bindings).flatMap(([field, b]) =>
    b && !workflow[b.node] ? [`${field}: the workflow has no node "${b.node}"`] : [],
  );
}

/** The workflow with the request's values in the bound inputs; the template itself is left as it was. */
export function fillWorkflow(
  workflow: ApiWorkflow,
  bindings: WorkflowBindings,
  request: Partial<Record<(typeof BOUND_FIELDS)[number], string | number | undefined>>,
): ApiWorkflow {
  const filled: ApiWorkflow = structuredClone(workflow);
  for (const field of BOUND_FIELDS) {
    const binding = bindings[field];
    const value = request[field];
    if (!binding || value === undefined) continue;
    const node = filled[binding.node];
    if (node) node.inputs[binding.input] = value;
  }
  return filled;
}
