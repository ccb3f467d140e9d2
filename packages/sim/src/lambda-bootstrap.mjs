// The function process, as Lambda's Node.js runtime runs it: load the handler module once (the
// cold start), then one invocation at a time from the parent over IPC. Plain JavaScript: it runs
// beside the bundle, not from the repository.
import dns from 'node:dns';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// AWS's DNS resolves queue hosts; here fauxqs' `sqs.<region>.localhost` names resolve to loopback.
const lookup = dns.lookup;
dns.lookup = (name, options, callback) => {
  const cb = typeof options === 'function' ? options : callback;
  const opts = typeof options === 'function' ? {} : (options ?? {});
  if (typeof name === 'string' && name.endsWith('.localhost')) {
    return opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
  }
  return lookup.call(dns, name, options, callback);
};

const [codeDir, handlerSpec] = process.argv.slice(2);
const dot = handlerSpec.lastIndexOf('.');
const file = join(codeDir, `${handlerSpec.slice(0, dot)}.mjs`);
const exportName = handlerSpec.slice(dot + 1);

let codeDirWritable = false;
try {
  writeFileSync(join(codeDir, '.write-probe'), 'x');
  codeDirWritable = true;
} catch {}

let handler;
const errorOf = (e) => ({
  errorType: e?.name ?? 'Error',
  errorMessage: e instanceof Error ? e.message : String(e),
  stack: e instanceof Error ? String(e.stack).split('\n').slice(1, 6) : [],
});

process.on('message', async (m) => {
  if (m?.type !== 'invoke') return;
  const context = {
    awsRequestId: m.requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: '$LATEST',
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    getRemainingTimeInMillis: () => Math.max(0, m.deadline - Date.now()),
    callbackWaitsForEmptyEventLoop: true,
  };
  try {
    // Lambda's REPORT line has the cold start's "Init Duration": the handler module's import.
    let initMs;
    if (!handler) {
      const started = performance.now();
      const mod = await import(pathToFileURL(file).href);
      handler = mod[exportName];
      if (typeof handler !== 'function') throw new Error(`${handlerSpec} is not a function`);
      initMs = performance.now() - started;
    }
    const result = await handler(m.event, context);
    process.send({ type: 'result', id: m.id, result: result === undefined ? null : result, initMs });
  } catch (e) {
    const error = errorOf(e);
    process.stderr.write(`${JSON.stringify({ level: 'error', msg: 'Invoke Error', ...error })}\n`);
    process.send({ type: 'error', id: m.id, error });
  }
});
process.send({ type: 'ready', codeDirWritable });
