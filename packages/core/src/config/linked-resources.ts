/**
 * SST passes linked resources to a function as `SST_RESOURCE_<Name>` environment variables holding
 * JSON (`{"value": …}` for a Secret, `{"url": …}` for a Queue). This maps them onto the plain
 * variables the rest of the code reads, so configuration has one path: explicit → environment →
 * default. A variable that is already set plainly wins over a linked resource (an operator's
 * override for one function).
 */
export type FunctionRole = 'function' | 'migrate';

const SOURCES: Record<FunctionRole, [variable: string, resource: string, field: 'value' | 'url'][]> = {
  function: [
    ['DATABASE_URL', 'DatabaseUrl', 'value'],
    ['CURSOR_SECRET', 'CursorSecret', 'value'],
    ['QUEUE_URL', 'Queue', 'url'],
    ['DLQ_URL', 'DeadLetterQueue', 'url'],
    ['ADMIN_API_KEY', 'AdminApiKey', 'value'],
  ],
  // Migrations take an advisory lock and DDL locks: they use the direct (non-pooler) endpoint.
  migrate: [
    ['DATABASE_URL', 'DatabaseDirectUrl', 'value'],
    ['ADMIN_API_KEY', 'AdminApiKey', 'value'],
  ],
};

export function linkedEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  role: FunctionRole = 'function',
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const [variable, resource, field] of SOURCES[role]) {
    if (out[variable]) continue;
    const raw = env[`SST_RESOURCE_${resource}`];
    if (!raw) continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new Error(`SST_RESOURCE_${resource}: not JSON`);
    }
    const value = (parsed as Record<string, unknown>)?.[field];
    if (typeof value === 'string' && value.length > 0) out[variable] = value;
  }
  return out;
}
