import { Resource } from 'sst/resource';

/**
 * SST hands linked resources to a function in more than one form: `SST_RESOURCE_<Name>` variables,
 * `SST_RESOURCES_JSON`, or encrypted in the bundle (`SST_KEY` + `SST_KEY_FILE`, what deployed
 * functions get). SST's own `Resource` reads all of them; this maps what it finds onto the plain
 * variables the rest of the code reads, so configuration keeps one path: explicit → environment →
 * default. A variable already set plainly wins over a linked resource (an operator's override).
 */
export type FunctionRole = 'function' | 'migrate';

/**
 * Linked resources by name, as `Resource` exposes them (`{ value }` for a secret, `{ url }` for a
 * queue, `{ name }` for a bucket).
 */
export type LinkedResources = Readonly<Record<string, unknown>>;

const SOURCES: Record<FunctionRole, [variable: string, resource: string, field: 'value' | 'url' | 'name'][]> =
  {
    function: [
      ['DATABASE_URL', 'DatabaseUrl', 'value'],
      ['CURSOR_SECRET', 'CursorSecret', 'value'],
      ['QUEUE_URL', 'Queue', 'url'],
      ['WEBHOOK_QUEUE_URL', 'WebhookQueue', 'url'],
      ['ADMIN_API_KEY', 'AdminApiKey', 'value'],
      ['OUTPUT_BUCKET', 'Outputs', 'name'],
      // Where asynchronous backends call back: the API Gateway linked to the worker.
      ['PUBLIC_URL', 'Api', 'url'],
      ['REPLICATE_API_TOKEN', 'ReplicateApiToken', 'value'],
      ['REPLICATE_WEBHOOK_SECRET', 'ReplicateWebhookSecret', 'value'],
    ],
    // Migrations take an advisory lock and DDL locks: they use the direct (non-pooler) endpoint.
    migrate: [
      ['DATABASE_URL', 'DatabaseDirectUrl', 'value'],
      ['ADMIN_API_KEY', 'AdminApiKey', 'value'],
    ],
  };

function linked(resources: LinkedResources, name: string): unknown {
  try {
    return name in resources ? resources[name] : undefined;
  } catch (e) {
    // Resource parses every SST_RESOURCE_* and decrypts SST_KEY_FILE on first use.
    throw new Error(`SST links could not be read: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function linkedEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  role: FunctionRole = 'function',
  resources: LinkedResources = Resource as unknown as LinkedResources,
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const [variable, resource, field] of SOURCES[role]) {
    if (out[variable]) continue;
    const value = (linked(resources, resource) as Record<string, unknown> | undefined)?.[field];
    // "none": a secret SST requires a value for, left unset on purpose (ReplicateWebhookSecret).
    if (typeof value === 'string' && value.length > 0 && value !== 'none') out[variable] = value;
  }
  return out;
}
