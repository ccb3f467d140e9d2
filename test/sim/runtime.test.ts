// Lambda's execution model as the simulation runs it, on a tiny handler: own process per instance,
// one invocation at a time, the timeout enforced by killing, a read-only code directory.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeReadOnly } from '@genledger/sim/build';
import { functionNode, functionNodeNotice } from '@genledger/sim/function-node';
import { FunctionRuntime } from '@genledger/sim/lambda-runtime';
import { afterEach, describe, expect, it } from 'vitest';

const bootstrap = fileURLToPath(new URL('../../packages/sim/src/lambda-bootstrap.mjs', import.meta.url));
const runtimes: FunctionRuntime[] = [];
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.stop();
});

function codeDir(readOnly = true) {
  const root = mkdtempSync(join(tmpdir(), 'gl-sim-runtime-'));
  chmodSync(root, 0o755);
  const dir = join(root, 'code');
  mkdirSync(join(dir, 'functions'), { recursive: true });
  writeFileSync(
    join(dir, 'functions', 'probe.mjs'),
    `import { writeFileSync } from 'node:fs';
     import { join } from 'node:path';
     export const handler = async (event) => {
       if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
       writeFileSync(join(process.env.TMPDIR, 'scratch'), 'ok');
       let codeWritable = true;
       try { writeFileSync('written-here', 'x'); } catch { codeWritable = false; }
       return { pid: process.pid, cwd: process.cwd(), codeWritable, tmp: process.env.TMPDIR, wrapped: process.env.SIM_NODE_WRAPPED ?? null };
     };`,
  );
  // Writable for whichever user the function process runs as (nobody, under root).
  if (readOnly) makeReadOnly(dir);
  else chmodSync(dir, 0o777);
  const tmp = join(root, 'tmp');
  mkdirSync(tmp, { mode: 0o755 });
  return { dir, tmp };
}

function runtime(dir: string, tmp: string, timeoutMs = 5_000, execPath?: string) {
  const r = new FunctionRuntime({
    execPath,
    name: 'Probe',
    handler: 'functions/probe.handler',
    codeDir: dir,
    bootstrap,
    environment: { PATH: process.env.PATH ?? '/usr/bin:/bin', AWS_LAMBDA_FUNCTION_NAME: 'probe' },
    timeoutMs,
    idleMs: 60_000,
    tmpRoot: tmp,
    log: () => {},
  });
  runtimes.push(r);
  return r;
}

describe('the simulated Lambda runtime', () => {
  it('runs each instance in its own process, the code directory read-only and TMPDIR writable', async () => {
    const { dir, tmp } = codeDir();
    const r = runtime(dir, tmp);
    const first = await r.invoke({});
    expect(first).toMatchObject({ ok: true, coldStart: true });
    // The cold start's import of the handler module, as Lambda reports "Init Duration".
    expect(first.initMs).toBeGreaterThan(0);
    expect(first.initMs).toBeLessThanOrEqual(first.durationMs + 1);
    const result = first.result as { pid: number; cwd: string; codeWritable: boolean; tmp: string };
    expect(result.pid).not.toBe(process.pid);
    expect(result.cwd).toBe(dir);
    expect(result.codeWritable).toBe(false);
    expect(result.tmp.startsWith(tmp)).toBe(true);
    // Warm: the same process again.
    const second = await r.invoke({});
    expect(second.coldStart).toBe(false);
    expect(second.initMs).toBeUndefined();
    expect((second.result as { pid: number }).pid).toBe(result.pid);
  });

  it('gives concurrent invocations instances of their own, one invocation at a time each', async () => {
    const { dir, tmp } = codeDir();
    const r = runtime(dir, tmp);
    const [a, b] = await Promise.all([r.invoke({ sleepMs: 300 }), r.invoke({ sleepMs: 300 })]);
    expect((a.result as { pid: number }).pid).not.toBe((b.result as { pid: number }).pid);
    expect(r.coldStarts).toBe(2);
  });

  it('kills an instance past its timeout; the next invocation starts cold', async () => {
    const { dir, tmp } = codeDir();
    const r = runtime(dir, tmp, 1_500);
    await r.invoke({});
    const slow = await r.invoke({ sleepMs: 5_000 });
    expect(slow).toMatchObject({ ok: false, error: { errorType: 'Sandbox.Timedout' } });
    expect(slow.durationMs).toBeLessThan(4_000);
    const after = await r.invoke({});
    expect(after).toMatchObject({ ok: true, coldStart: true });
    expect(r.timeouts).toBe(1);
  });

  it('refuses to run from a code directory the function process could write to', async () => {
    const { dir, tmp } = codeDir(false);
    const r = runtime(dir, tmp);
    const refused = await r.invoke({});
    expect(refused.ok).toBe(false);
    expect(refused.error?.errorMessage).toMatch(/code directory is writable/);
  });

  it('runs instances on the Node binary it is given (SIM_NODE), and checks that binary first', async () => {
    const { dir, tmp } = codeDir();
    // A stand-in for another Node: a wrapper that marks the environment and runs this one. The
    // function process may run as nobody, so it lives where anyone can read and run it.
    const bin = mkdtempSync(join(tmpdir(), 'gl-sim-node-'));
    chmodSync(bin, 0o755);
    const wrapper = join(bin, 'node');
    writeFileSync(
      wrapper,
      `#!/bin/sh\nSIM_NODE_WRAPPED=yes exec ${JSON.stringify(process.execPath)} "$@"\n`,
      { mode: 0o755 },
    );
    const wrapped = await runtime(dir, tmp, 5_000, wrapper).invoke({});
    expect(wrapped).toMatchObject({ ok: true, result: { wrapped: 'yes' } });
    expect((await runtime(dir, tmp).invoke({})).result).toMatchObject({ wrapped: null });

    expect(functionNode(wrapper)).toEqual({ path: wrapper, version: process.version });
    expect(functionNode(undefined)).toEqual({ path: process.execPath, version: process.version });
    expect(() => functionNode(join(bin, 'missing'))).toThrow(/^SIM_NODE: cannot run .*missing/);
    const notNode = join(bin, 'not-node');
    writeFileSync(notNode, '#!/bin/sh\necho hello\n', { mode: 0o755 });
    expect(() => functionNode(notNode)).toThrow(
      `SIM_NODE: ${notNode} --version printed "hello", not a Node version`,
    );

    const own = { path: process.execPath, version: 'v20.20.2' };
    expect(functionNodeNotice(own, ['nodejs22.x', 'nodejs22.x', undefined])).toBe(
      "functions run on Node v20.20.2 (this process's), Lambda on nodejs22.x: set SIM_NODE to such a binary to match",
    );
    expect(functionNodeNotice({ path: wrapper, version: 'v22.23.5' }, ['nodejs22.x'])).toBe(
      'functions run on Node v22.23.5 (SIM_NODE), as their runtime names',
    );
  });
});
