import { createServer, type Server } from 'node:http';
import { builtinGenerator, render } from '@genledger/adapters/generators/builtin-generator';
import { httpGenerator } from '@genledger/adapters/generators/http-generator';
import { GenerationRequest } from '@genledger/core/contracts/generation';
import { GeneratorError } from '@genledger/core/ports/generator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngSize } from '../../packages/adapters/src/generators/png.ts';

const request = GenerationRequest.parse({ prompt: 'a fox in the snow', width: 1024, height: 512, seed: 3 });

describe('builtin generator', () => {
  it('hands over the bytes of a real PNG of the requested aspect, scaled down (nothing written to disk)', async () => {
    const out = await builtinGenerator().generate({
      generationId: crypto.randomUUID(),
      attempt: 1,
      request,
    });
    expect(out.outputs).toHaveLength(1);
    const [png] = out.outputs;
    if (png?.kind !== 'bytes') throw new Error('expected bytes');
    expect(pngSize(Buffer.from(png.body))).toEqual({ width: 256, height: 128 });
    expect(out.promptId).toMatch(/^builtin-[0-9a-f]{12}$/);
  });

  it('is deterministic in seed and prompt, and differs when either changes', () => {
    const a = render(request).png;
    expect(render(request).png.equals(a)).toBe(true);
    expect(render({ ...request, seed: 4 }).png.equals(a)).toBe(false);
    expect(render({ ...request, prompt: 'a fox in the rain' }).png.equals(a)).toBe(false);
  });
});

describe('http generator against a real local server', () => {
  let server: Server;
  let url = '';
  const seen: unknown[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const job = JSON.parse(body) as { prompt: string };
        seen.push(job);
        const reply = (status: number, text: string) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(text);
        };
        if (job.prompt === 'ok')
          return reply(200, JSON.stringify({ output: 'data:image/png;base64,iVBORw0KGgo=', promptId: 'p1' }));
        if (job.prompt === 'several')
          return reply(200, JSON.stringify({ output: ['https://cdn.example/a.png', 'data:,x'] }));
        if (job.prompt === 'legacy')
          return reply(200, JSON.stringify({ outputPath: 'https://cdn.example/b.png' }));
        if (job.prompt === '503') return reply(503, '{"error":"busy"}');
        if (job.prompt === '400') return reply(400, '{"error":"nsfw"}');
        if (job.prompt === 'garbage') return reply(200, 'not json');
        if (job.prompt === 'wrong-shape') return reply(200, '{"path":"x"}');
        if (job.prompt === 'slow') return setTimeout(() => reply(200, '{"outputPath":"late"}'), 2000);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/generate`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const run = (prompt: string, timeoutMs = 1000) =>
    httpGenerator(url, { timeoutMs }).generate({
      generationId: crypto.randomUUID(),
      attempt: 2,
      request: { ...request, prompt },
    });
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => e as GeneratorError,
    );

  it('posts the job and returns the outputs: one URL, an array of them (as a Cog prediction), or the legacy outputPath', async () => {
    expect(await run('ok')).toEqual({
      outputs: [{ kind: 'url', url: 'data:image/png;base64,iVBORw0KGgo=' }],
      promptId: 'p1',
    });
    expect(seen.at(-1)).toMatchObject({ prompt: 'ok', attempt: 2, width: 1024, seed: 3 });
    expect(await run('several')).toEqual({
      outputs: [
        { kind: 'url', url: 'https://cdn.example/a.png' },
        { kind: 'url', url: 'data:,x' },
      ],
    });
    expect(await run('legacy')).toEqual({ outputs: [{ kind: 'url', url: 'https://cdn.example/b.png' }] });
  });

  it('classifies failures: 5xx, timeouts and refused connections are transient; 4xx and bad replies permanent', async () => {
    expect(await failure(run('503'))).toMatchObject({ errorType: 'GeneratorUnavailable', transient: true });
    expect(await failure(run('slow', 200))).toMatchObject({ errorType: 'GeneratorTimeout', transient: true });
    expect(await failure(run('400'))).toMatchObject({ errorType: 'GeneratorRejected', transient: false });
    expect(await failure(run('garbage'))).toMatchObject({ errorType: 'GeneratorBadReply', transient: false });
    expect(await failure(run('wrong-shape'))).toMatchObject({
      errorType: 'GeneratorBadReply',
      transient: false,
    });
    const refused = await failure(
      httpGenerator('http://127.0.0.1:1/none', { timeoutMs: 1000 }).generate({
        generationId: crypto.randomUUID(),
        attempt: 1,
        request,
      }),
    );
    expect(refused).toBeInstanceOf(GeneratorError);
    expect(refused).toMatchObject({ errorType: 'GeneratorUnreachable', transient: true });
  });
});
