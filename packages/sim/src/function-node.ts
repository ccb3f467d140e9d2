import { execFileSync } from 'node:child_process';
import { AppError } from '@genledger/core/errors';

/** The Node binary the simulated functions run on, and the version it reports. */
export interface FunctionNode {
  path: string;
  version: string;
}

/** `SIM_NODE` when set (checked by running it), otherwise this process's own Node. */
export function functionNode(simNode: string | undefined): FunctionNode {
  if (!simNode) return { path: process.execPath, version: process.version };
  let version: string;
  try {
    version = execFileSync(simNode, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim();
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    throw new AppError('configuration', `SIM_NODE: cannot run ${simNode} (${why})`);
  }
  if (!/^v\d+\.\d+\.\d+/.test(version)) {
    throw new AppError(
      'configuration',
      `SIM_NODE: ${simNode} --version printed ${JSON.stringify(version.slice(0, 40))}, not a Node version`,
    );
  }
  return { path: simNode, version };
}

/**
 * What to say about the functions' Node beside the runtimes the config names (`nodejs22.x`):
 * which Node they run on, and when its major version is not Lambda's, how to match it.
 */
export function functionNodeNotice(node: FunctionNode, runtimes: readonly (string | undefined)[]): string {
  const major = node.version.slice(1).split('.')[0];
  const named = [...new Set(runtimes.map((r) => /^nodejs(\d+)\.x$/.exec(r ?? '')?.[1]).filter((m) => m))];
  const source = node.path === process.execPath ? "this process's" : 'SIM_NODE';
  const others = named.filter((m) => m !== major);
  if (others.length === 0) return `functions run on Node ${node.version} (${source}), as their runtime names`;
  return `functions run on Node ${node.version} (${source}), Lambda on ${others.map((m) => `nodejs${m}.x`).join(', ')}: set SIM_NODE to such a binary to match`;
}
