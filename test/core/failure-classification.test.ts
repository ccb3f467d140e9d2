// Failure groups must survive a redeploy: the exception group's title is the first stack frame
// without what changes between deploys (lines, directories, a split chunk's content hash).
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { classify, failureGroupId, firstStackFrame } from '@genledger/core/failure-classification';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

/** Two entries over one shared module, bundled as deployed functions are (split, minified, names kept). */
async function deployedStack(sharedExtra: string): Promise<{ stack: string; chunks: string[] }> {
  const src = mkdtempSync(join(tmpdir(), 'gl-frames-src-'));
  const out = mkdtempSync(join(tmpdir(), 'gl-frames-out-'));
  writeFileSync(
    join(src, 'shared.ts'),
    `${sharedExtra}\nexport function renderImage(n: number): number { if (n > 0) throw new TypeError('backend refused'); return n; }\n`,
  );
  writeFileSync(
    join(src, 'worker.ts'),
    `import { renderImage } from './shared.ts';\nexport const run = () => renderImage(1);\n`,
  );
  writeFileSync(
    join(src, 'api.ts'),
    `import { renderImage } from './shared.ts';\nexport const run = () => renderImage(2);\n`,
  );
  await build({
    entryPoints: [join(src, 'worker.ts'), join(src, 'api.ts')],
    outdir: out,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    minify: true,
    keepNames: true,
    logLevel: 'silent',
  });
  const worker = (await import(pathToFileURL(join(out, 'worker.mjs')).href)) as { run(): unknown };
  try {
    worker.run();
  } catch (e) {
    return {
      stack: (e as Error).stack ?? '',
      chunks: readdirSync(out).filter((f) => f.startsWith('chunk-')),
    };
  }
  throw new Error('did not throw');
}

describe('first stack frame', () => {
  it('keeps the function and file, drops lines and directories', () => {
    const stack = 'TypeError: boom\n    at render (/app/src/generator.ts:10:5)\n    at run (/app/x.ts:1:1)';
    expect(firstStackFrame(stack)).toBe('at render (generator.ts)');
    expect(firstStackFrame('Error: x')).toBeNull();
    expect(firstStackFrame('Error: x\n    at file:///var/task/worker.mjs:1:250')).toBe('at worker.mjs');
  });

  it('names the same fault the same in two deploys of changed code, whose chunks are named differently', async () => {
    const first = await deployedStack('export const revision = 1;');
    const second = await deployedStack('export const revision = 2; export const more = [1, 2, 3];');
    // The bundler's chunk names did change between the two builds...
    expect(first.chunks).toHaveLength(1);
    expect(second.chunks).toHaveLength(1);
    expect(first.chunks[0]).not.toBe(second.chunks[0]);
    expect(first.stack).toContain(first.chunks[0]);
    // ...and the group's title did not.
    expect(firstStackFrame(first.stack)).toBe('at renderImage (chunk.mjs)');
    expect(firstStackFrame(second.stack)).toBe(firstStackFrame(first.stack));
    const group = (stack: string) =>
      failureGroupId(
        classify({ errorType: 'TypeError', stack, messageType: 'generation.requested', model: null })[0]!,
      );
    expect(group(second.stack)).toBe(group(first.stack));
  });
});
