import { PRODUCTION } from './settings';

/**
 * Neon: a pooled URL for functions (-pooler host) and a direct one for migrations (advisory lock).
 * From secrets, or, with NEON_PROJECT_ID, from a branch of that project per non-production stage,
 * created and removed with the stage. Production always uses secrets.
 */
export function database() {
  const neonProjectId = process.env.NEON_PROJECT_ID;
  const urls =
    neonProjectId && $app.stage !== PRODUCTION
      ? neonStageBranch(neonProjectId, process.env.NEON_PARENT_BRANCH_ID)
      : {
          databaseUrl: new sst.Secret('DatabaseUrl'),
          databaseDirectUrl: new sst.Secret('DatabaseDirectUrl'),
        };
  return {
    ...urls,
    adminApiKey: new sst.Secret('AdminApiKey'),
    cursorSecret: new sst.Secret('CursorSecret'),
  };
}

/**
 * A Neon branch for this stage (from the parent branch, or the project's default), with its own
 * role, database and compute, exposed under the same link names the secrets use, so functions
 * read them the same way. The Neon provider takes its key from NEON_API_KEY.
 */
function neonStageBranch(projectId: string, parentId: string | undefined) {
  const branch = new neon.Branch('DatabaseBranch', {
    projectId,
    name: `genledger-${$app.stage}`,
    ...(parentId ? { parentId } : {}),
  });
  const endpoint = new neon.Endpoint('DatabaseEndpoint', {
    projectId,
    branchId: branch.id,
    type: 'read_write',
  });
  const role = new neon.Role('DatabaseRole', { projectId, branchId: branch.id, name: 'genledger' });
  const db = new neon.Database('Database', {
    projectId,
    branchId: branch.id,
    name: 'genledger',
    ownerName: role.name,
  });
  const url = (host: $util.Input<string>) =>
    $interpolate`postgresql://${role.name}:${role.password}@${host}/${db.name}?sslmode=require`;
  // Neon's pooler (PgBouncer, transaction mode) is the endpoint's host with "-pooler" on its first label.
  const pooledHost = endpoint.host.apply((host) => host.replace(/^([^.]+)/, '$1-pooler'));
  return {
    databaseUrl: new sst.Linkable('DatabaseUrl', { properties: { value: url(pooledHost) } }),
    databaseDirectUrl: new sst.Linkable('DatabaseDirectUrl', { properties: { value: url(endpoint.host) } }),
  };
}
