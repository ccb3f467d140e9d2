// Lambda's execution model for one function: instances are Node processes of their own, each
// running one invocation at a time; an invocation past the timeout kills its instance; idle
// instances are reused while warm and stopped after `idleMs`, so the next call starts cold.
import { type ChildProcess, fork } from 'node:child_process';
import { chownSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export interface InvokeResult {
  ok: boolean;
  result?: unknown;
  error?: { errorType: string; errorMessage: string };
  coldStart: boolean;
  durationMs: number;
  /** On a cold start, the handler module's import (Lambda's "Init Duration"), included in durationMs. */
  initMs?: number;
}

export interface RuntimeOptions {
  name: string;
  handler: string;
  codeDir: string;
  bootstrap: string;
  environment: Record<string, string>;
  timeoutMs: number;
  idleMs: number;
  /** Where instance temporary directories live (one per instance: Lambda's /tmp). */
  tmpRoot: string;
  /** The Node binary instances run on (default: this process's; `SIM_NODE`). */
  execPath?: string;
  log: (fn: string, line: string) => void;
}

/** Root may write anywhere whatever the mode bits say: function processes then run as nobody. */
const UNPRIVILEGED = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;

interface Reply {
  type: string;
  result?: unknown;
  error?: InvokeResult['error'];
  initMs?: number;
}

interface Instance {
  id: number;
  child: ChildProcess;
  ready: Promise<void>;
  busy: boolean;
  dead: boolean;
  idleTimer: NodeJS.Timeout | undefined;
  pending: Map<string, (m: Reply) => void>;
  tmp: string;
}

export class FunctionRuntime {
  private readonly instances: Instance[] = [];
  private counter = 0;
  private requests = 0;
  coldStarts = 0;
  invocations = 0;
  timeouts = 0;
  readonly pids: number[] = [];

  constructor(private readonly options: RuntimeOptions) {}

  get live(): number {
    return this.instances.filter((i) => !i.dead).length;
  }

  async invoke(event: unknown): Promise<InvokeResult> {
    const started = Date.now();
    let instance = this.instances.find((i) => !i.busy && !i.dead);
    const coldStart = !instance;
    if (!instance) instance = this.start();
    instance.busy = true;
    if (instance.idleTimer) clearTimeout(instance.idleTimer);
    this.invocations++;
    try {
      await instance.ready;
      const id = `${this.options.name}-${++this.requests}`;
      const deadline = Date.now() + this.options.timeoutMs;
      const reply = await new Promise<Reply>((resolve) => {
        const timer = setTimeout(() => {
          this.timeouts++;
          this.options.log(
            this.options.name,
            `Task timed out after ${this.options.timeoutMs / 1000} seconds`,
          );
          this.kill(instance!);
          resolve({
            type: 'error',
            error: { errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out' },
          });
        }, this.options.timeoutMs);
        instance!.pending.set(id, (m) => {
          clearTimeout(timer);
          resolve(m);
        });
        instance!.child.send({ type: 'invoke', id, requestId: crypto.randomUUID(), event, deadline });
      });
      const init = reply.initMs === undefined ? {} : { initMs: Math.round(reply.initMs * 10) / 10 };
      return reply.type === 'result'
        ? { ok: true, result: reply.result, coldStart, durationMs: Date.now() - started, ...init }
        : { ok: false, error: reply.error, coldStart, durationMs: Date.now() - started };
    } catch (e) {
      this.kill(instance);
      return {
        ok: false,
        error: { errorType: 'Runtime.ExitError', errorMessage: e instanceof Error ? e.message : String(e) },
        coldStart,
        durationMs: Date.now() - started,
      };
    } finally {
      instance.busy = false;
      if (!instance.dead) instance.idleTimer = setTimeout(() => this.kill(instance!), this.options.idleMs);
    }
  }

  private start(): Instance {
    const id = ++this.counter;
    const tmp = join(this.options.tmpRoot, `${this.options.name}-${id}-${process.pid}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true, mode: 0o700 });
    if (UNPRIVILEGED) chownSync(tmp, UNPRIVILEGED.uid, UNPRIVILEGED.gid);
    this.coldStarts++;
    const child = fork(this.options.bootstrap, [this.options.codeDir, this.options.handler], {
      cwd: this.options.codeDir,
      env: { ...this.options.environment, TMPDIR: tmp },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
      ...(this.options.execPath ? { execPath: this.options.execPath } : {}),
      ...(UNPRIVILEGED ?? {}),
    });
    if (child.pid) this.pids.push(child.pid);
    const instance: Instance = {
      id,
      child,
      busy: false,
      dead: false,
      idleTimer: undefined,
      pending: new Map(),
      tmp,
      ready: undefined as unknown as Promise<void>,
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        buffered += chunk;
        let nl = buffered.indexOf('\n');
        while (nl >= 0) {
          this.options.log(this.options.name, buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
          nl = buffered.indexOf('\n');
        }
      });
    }
    instance.ready = new Promise<void>((resolve, reject) => {
      child.on('message', (m: { type: string; id?: string; codeDirWritable?: boolean }) => {
        if (m.type === 'ready') {
          if (m.codeDirWritable) {
            reject(new Error(`${this.options.name}: the code directory is writable by the function process`));
            this.kill(instance);
          } else resolve();
          return;
        }
        if (m.id) {
          instance.pending.get(m.id)?.(m as never);
          instance.pending.delete(m.id);
        }
      });
      child.on('exit', (code, signal) => {
        instance.dead = true;
        reject(
          new Error(
            `${this.options.name}: the function process exited (${signal ?? code}) before it was ready`,
          ),
        );
        for (const [, settle] of instance.pending)
          settle({
            type: 'error',
            error: { errorType: 'Runtime.ExitError', errorMessage: `exited (${signal ?? code})` },
          });
        instance.pending.clear();
        rmSync(tmp, { recursive: true, force: true });
      });
    });
    instance.ready.catch(() => {});
    this.instances.push(instance);
    return instance;
  }

  private kill(instance: Instance) {
    if (instance.idleTimer) clearTimeout(instance.idleTimer);
    instance.dead = true;
    instance.child.kill('SIGKILL');
    const i = this.instances.indexOf(instance);
    if (i >= 0) this.instances.splice(i, 1);
  }

  async stop() {
    const exits = this.instances.map(
      (i) =>
        new Promise<void>((resolve) =>
          i.child.exitCode !== null ? resolve() : i.child.once('exit', () => resolve()),
        ),
    );
    for (const i of [...this.instances]) this.kill(i);
    await Promise.all(exits);
  }
}
